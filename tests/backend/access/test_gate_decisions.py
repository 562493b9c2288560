"""Online decisions at a gate: a pass is refused for each reason the screen can show, in the order
the terminal checks offline, a staff card is let in only while usable, anti-passback holds where
a gate keeps it, and a repeated event number is decided once."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from backend.access.models import (
    AccessEvent,
    Block,
    BlockKind,
    Direction,
    EventSource,
    Gate,
    GateKind,
    PassKind,
    Presence,
    SubjectKind,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import events, gatecheck, passes, tokens
from backend.access.service.notices import render_visit
from backend.accounts.models import Person
from backend.core.timeutil import now
from backend.notices.models import Notice
from backend.wallet.models import Card, CardState
from tests.fixtures.access_p import SETTINGS, pass_of, ready_visit, token_of

_numbers = iter(range(1, 10_000))


async def _scan(runtime, gate, token, at=None, event_no=None):
    event_no = event_no or f"EV-{next(_numbers):06d}"
    return await gatecheck.scan(runtime.settings.data_key, SETTINGS, gate.id, token, event_no, at or now())


async def test_a_valid_pass_lets_the_party_in_and_books_the_entry(access_world, runtime):
    visit = await ready_visit(runtime, access_world, companions=("王五",))
    visit_pass = await pass_of(visit)
    decision = await _scan(runtime, access_world.entry, await token_of(runtime, visit_pass))
    assert decision.view() == {
        "allowed": True,
        "reason": "",
        "message": "欢迎，请通行",
        "greeting": {"name": "李*", "host": "张*", "people": 2},
    }
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1
    visit = await Visit.get(id=visit.id)
    assert visit.state == VisitState.INSIDE and visit.entered_at is not None
    row = await Presence.get(subject_key=f"visit:{visit.id}")
    assert (row.building_id, row.people_count) == (access_world.building_id, 2)


async def test_leaving_by_the_exit_marks_the_visit_left_and_clears_presence(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    token = await token_of(runtime, await pass_of(visit))
    assert (await _scan(runtime, access_world.entry, token)).allowed
    out = await _scan(runtime, access_world.exit, token)
    assert out.allowed and out.message == "再见，请通行"
    visit = await Visit.get(id=visit.id)
    assert visit.state == VisitState.LEFT and visit.left_at is not None
    assert not await Presence.exists()


async def test_a_qr_of_another_system_or_another_key_is_foreign(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world))
    ours = await token_of(runtime, visit_pass)
    other_key = tokens.sign(b"k" * 32, tokens.read(runtime.settings.data_key, ours))
    for token in ("https://weixin.qq.com/x/abc", "HQP1.zzz", other_key):
        decision = await _scan(runtime, access_world.entry, token)
        assert (decision.allowed, decision.reason) == (False, "access.pass_foreign")
        assert decision.message == "不是本系统的通行码" and decision.greeting is None


def _with_payload(token: str, **changes) -> str:
    prefix, kid, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    edited = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{prefix}.{kid}.{edited}.{signature}"


async def test_an_edited_token_is_tampered(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world), max_entries=1)
    token = await token_of(runtime, visit_pass)
    decision = await _scan(runtime, access_world.entry, _with_payload(token, n=99))
    assert decision.reason == "access.pass_tampered"
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 0


async def test_a_mobile_token_of_an_old_step_is_stale_and_of_the_last_step_is_taken(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world))
    at = now()
    old = await token_of(runtime, visit_pass, at - timedelta(seconds=3 * SETTINGS.qr_step_seconds))
    assert (await _scan(runtime, access_world.entry, old, at)).reason == "access.pass_stale"
    last = await token_of(runtime, visit_pass, at - timedelta(seconds=SETTINGS.qr_step_seconds))
    assert (await _scan(runtime, access_world.entry, last, at)).allowed


async def test_a_pass_before_its_window_is_not_yet_valid(access_world, runtime):
    visit = await ready_visit(runtime, access_world, start=now() + timedelta(hours=2))
    token = await token_of(runtime, await pass_of(visit))
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.pass_not_yet_valid"


async def test_a_slip_after_its_window_is_expired(access_world, runtime):
    visit = await ready_visit(runtime, access_world, start=now() - timedelta(hours=6), hours=4)
    token = await token_of(runtime, await pass_of(visit, PassKind.SLIP, 1))
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.pass_expired"


async def test_a_gate_the_pass_does_not_name_is_the_wrong_gate(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world))
    other = await Gate.create(
        code="G-B-IN",
        name="B座进",
        kind=GateKind.PEDESTRIAN,
        direction=Direction.IN,
        building_id=access_world.other_building_id,
    )
    decision = await _scan(runtime, other, await token_of(runtime, visit_pass))
    assert decision.reason == "access.pass_wrong_gate"
    assert access_world.entry.id in visit_pass.gate_ids and access_world.car_gate.id in visit_pass.gate_ids


async def test_a_revoked_pass_is_refused_before_its_entries_are_counted(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    visit_pass = await pass_of(visit, PassKind.SLIP, 1)
    token = await token_of(runtime, visit_pass)
    assert (await _scan(runtime, access_world.entry, token)).allowed
    assert await passes.revoke_all(None, visit.id, now()) == 1
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.pass_revoked"


async def test_a_pass_of_a_visit_no_longer_on_is_refused(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    token = await token_of(runtime, await pass_of(visit))
    await Visit.filter(id=visit.id).update(state=VisitState.NO_SHOW)
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.visit_not_active"


async def test_a_single_entry_slip_lets_in_once(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world), PassKind.SLIP, 1)
    token = await token_of(runtime, visit_pass)
    assert (await _scan(runtime, access_world.entry, token)).allowed
    refused = await _scan(runtime, access_world.entry, token)
    assert (refused.reason, refused.message) == ("access.pass_used_up", "通行次数已用完")
    # Going out is no entry: the slip still lets its holder leave.
    assert (await _scan(runtime, access_world.exit, token)).allowed
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1


async def test_a_visitor_blacklisted_after_the_invitation_is_refused_at_the_gate(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    token = await token_of(runtime, await pass_of(visit))
    await Block.create(
        kind=BlockKind.ID_NUMBER, value_index=visit.id_number_index, value_masked="1101**", reason="测试"
    )
    decision = await _scan(runtime, access_world.entry, token)
    assert (decision.reason, decision.message) == ("access.visitor_blocked", "不能通行，请到门岗登记")
    event = await AccessEvent.get(reason="access.visitor_blocked")
    assert event.visit_id == visit.id and event.visit_pass_id is not None


async def test_anti_passback_refuses_a_second_entry_but_holds_nobody_in(access_world, runtime):
    await Gate.filter(id__in=[access_world.entry.id, access_world.exit.id]).update(anti_passback=True)
    token = await token_of(runtime, await pass_of(await ready_visit(runtime, access_world)))
    # An exit without a booked entry (signed out at the day's end, or came in behind someone) still lets out.
    assert (await _scan(runtime, access_world.exit, token)).allowed
    assert (await _scan(runtime, access_world.entry, token)).allowed
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.already_inside"
    assert (await _scan(runtime, access_world.exit, token)).allowed


async def test_without_anti_passback_a_second_entry_counts_and_keeps_one_presence(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world))
    token = await token_of(runtime, visit_pass)
    assert (await _scan(runtime, access_world.entry, token)).allowed
    assert (await _scan(runtime, access_world.entry, token)).allowed
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 2
    assert await Presence.all().count() == 1


async def test_the_same_event_number_twice_is_decided_and_booked_once(access_world, runtime):
    visit_pass = await pass_of(await ready_visit(runtime, access_world), PassKind.SLIP, 1)
    token = await token_of(runtime, visit_pass)
    first = await _scan(runtime, access_world.entry, token, event_no="EV-REPEAT-1")
    again = await _scan(runtime, access_world.entry, token, event_no="EV-REPEAT-1")
    assert first.allowed and again == first
    assert await AccessEvent.filter(event_no="EV-REPEAT-1").count() == 1
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1


async def test_an_event_number_booked_at_another_gate_is_refused_not_answered(access_world, runtime):
    token = await token_of(runtime, await pass_of(await ready_visit(runtime, access_world)))
    assert (await _scan(runtime, access_world.entry, token, event_no="EV-TWICE-1")).allowed
    again = await _scan(runtime, access_world.exit, "not-a-pass", event_no="EV-TWICE-1")
    assert (again.allowed, again.reason, again.message) == (False, "access.event_invalid", "通行记录有误")
    card = await gatecheck.card(access_world.exit.id, "04FFFFFF", "EV-TWICE-1", now())
    assert card.reason == "access.event_invalid"
    assert await AccessEvent.filter(event_no="EV-TWICE-1").count() == 1
    assert await Presence.exists()  # the refused exit booked nothing


async def test_the_first_entry_tells_the_host_the_visitor_arrived_once(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    token = await token_of(runtime, await pass_of(visit))
    assert (await _scan(runtime, access_world.entry, token)).allowed
    assert (await _scan(runtime, access_world.exit, token)).allowed
    assert (await _scan(runtime, access_world.entry, token)).allowed
    sent = await Notice.filter(template="access.visit", person_id=access_world.host_id, subject_id=visit.id)
    assert len(sent) == 1
    assert (await render_visit(visit.id)).data["phrase3"] == "访客已到达"


async def test_a_visitor_car_moves_its_visit_in_and_out(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    car = {"subject": SubjectKind.VISITOR_CAR, "visit_id": visit.id, "plate_index": "p1", "plate_masked": "浙A***45"}
    at = now()
    common = {"allowed": True, "reason": "", "source": EventSource.CAMERA}
    await events.record(
        None, gate_id=access_world.car_gate.id, event_no="CAM-1", at=at, direction=Direction.IN, **common, **car
    )
    visit = await Visit.get(id=visit.id)
    assert (visit.state, visit.entered_at) == (VisitState.INSIDE, at)
    assert await Presence.filter(subject_key="plate:p1", visit_id=visit.id).exists()
    assert await Notice.filter(template="access.visit", subject_id=visit.id).count() == 1
    later = at + timedelta(hours=1)
    await events.record(
        None, gate_id=access_world.car_gate.id, event_no="CAM-2", at=later, direction=Direction.OUT, **common, **car
    )
    visit = await Visit.get(id=visit.id)
    assert (visit.state, visit.left_at) == (VisitState.LEFT, later)
    assert not await Presence.exists()


async def test_every_refusal_is_booked_in_the_access_log(access_world, runtime):
    await _scan(runtime, access_world.entry, "not-a-pass", event_no="EV-FOREIGN-1")
    event = await AccessEvent.get(event_no="EV-FOREIGN-1")
    assert (event.allowed, event.reason, event.direction) == (False, "access.pass_foreign", Direction.IN)


async def test_an_inactive_gate_refuses(access_world, runtime):
    token = await token_of(runtime, await pass_of(await ready_visit(runtime, access_world)))
    await Gate.filter(id=access_world.entry.id).update(is_active=False)
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.gate_inactive"


# ---- staff cards ----


async def _card(world, uid, gate=None, event_no=None):
    event_no = event_no or f"EC-{next(_numbers):06d}"
    return await gatecheck.card((gate or world.entry).id, uid, event_no, now())


async def test_a_staff_card_passes_greeted_with_masked_name_and_unit(access_world, runtime):
    decision = await _card(access_world, access_world.host_card.lower())
    assert decision.allowed
    assert decision.greeting["name"] == "张*" and decision.greeting["people"] == 1
    assert decision.greeting["host"]
    assert await Presence.filter(subject_key=f"person:{access_world.host_id}").exists()


async def test_an_unknown_or_malformed_card_is_refused(access_world, runtime):
    assert (await _card(access_world, "04FFFFFF")).reason == "access.card_unknown"
    assert (await _card(access_world, "not hex")).reason == "access.card_unknown"


async def test_a_lost_card_is_refused(access_world, runtime):
    await Card.filter(uid=access_world.host_card).update(state=CardState.LOST)
    assert (await _card(access_world, access_world.host_card)).reason == "access.card_not_usable"


async def test_the_card_of_someone_who_left_is_refused(access_world, runtime):
    await Person.filter(id=access_world.host_id).update(is_active=False)
    assert (await _card(access_world, access_world.host_card)).reason == "access.person_left"


async def test_anti_passback_holds_for_staff_cards(access_world, runtime):
    await Gate.filter(id=access_world.entry.id).update(anti_passback=True)
    assert (await _card(access_world, access_world.host_card)).allowed
    assert (await _card(access_world, access_world.host_card)).reason == "access.already_inside"
    assert (await _card(access_world, access_world.host_card, gate=access_world.exit)).allowed
    assert (await _card(access_world, access_world.host_card)).allowed
