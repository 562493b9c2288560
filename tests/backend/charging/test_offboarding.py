"""A cadre leaving (离职) through accounts' leave form, charging's part: a session still charging
or unpaid charging arrears stop the leaving (said in the preview, refused by the leave, the
wallet's refund rolled back with it); otherwise their unused start tokens expire."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts.models import Person
from backend.accounts.service import leaving
from backend.charging.models import Bill, PayerKind, Session, SessionState, Tag, TagKind
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.wallet.service import wallets

REFUND = {"wallet_refund_method": "cash"}


def everything(_permission) -> Scope:
    return Scope.EVERYTHING


async def _part(person_id: int):
    parts = await leaving.preview_leaving(Scope.EVERYTHING, person_id, everything)
    return next((p for p in parts if p.title == "充电桩"), None)


async def _session(w, state: SessionState = SessionState.ACTIVE) -> Session:
    started = now() - timedelta(hours=2)
    return await Session.create(
        pile_id=w.pile.id,
        connector_id=1,
        id_tag=w.card_uid,
        payer_kind=PayerKind.WALLET,
        person_id=w.cadre_id,
        tariff_id=w.tariff.id,
        state=state,
        meter_start_wh=1000,
        meter_last_wh=3000,
        meter_stop_wh=3000 if state == SessionState.STOPPED else None,
        started_at=started,
        stopped_at=now() - timedelta(hours=1) if state == SessionState.STOPPED else None,
        received_at=started,
    )


async def _leave(w, key: str):
    return await leaving.leave_person(CLI_ACTOR, Scope.EVERYTHING, w.cadre_id, "调出本市", REFUND, key, everything)


async def _refused(w, key: str) -> str:
    with pytest.raises(AppError) as raised:
        await _leave(w, key)
    return raised.value.code


async def test_a_cadre_charging_now_cannot_leave_until_the_session_ends(charging_world):
    w = charging_world
    session = await _session(w)
    part = await _part(w.cadre_id)
    assert part is not None and part.blocker == f"该人员有进行中的充电（#{session.id}），请先结束"

    assert await _refused(w, "leave-charging-1") == "charging.leave_session_active"

    # The whole leaving rolled back: still active, the wallet's cash not refunded.
    assert (await Person.get(id=w.cadre_id)).is_active
    assert (await wallets.wallet_view(w.cadre_id))["cash_fen"] == 20_000


async def test_unpaid_arrears_stop_the_leaving_as_the_wallet_refund_runs_first(charging_world):
    w = charging_world
    session = await _session(w, SessionState.STOPPED)
    await Bill.create(
        session=session,
        energy_wh=2000,
        bands={"flat": 2000},
        energy_fen=1500,
        service_fen=500,
        amount_fen=2000,
        paid_fen=800,
        shortfall_fen=1200,
        billed_at=now(),
    )
    part = await _part(w.cadre_id)
    assert part is not None and part.blocker == "该人员有 12.00 元 充电欠费未补缴，请先补缴再办离职"

    assert await _refused(w, "leave-charging-2") == "charging.leave_arrears_unpaid"
    assert (await Person.get(id=w.cadre_id)).is_active


async def test_leaving_expires_the_cadres_unused_start_tokens(charging_world):
    w = charging_world
    token = await Tag.create(
        id_tag="MTOKENTOKENTOKEN0001",
        kind=TagKind.TOKEN,
        person_id=w.cadre_id,
        expires_at=now() + timedelta(minutes=5),
    )
    part = await _part(w.cadre_id)
    assert part is not None and part.lines == ["作废未使用的小程序充电启动凭证 1 个"] and not part.blocker

    done = await _leave(w, "leave-charging-3")

    assert done["settled"]["charging"] == ["作废充电启动凭证 1 个"]
    expired = await Tag.get(id=token.id)
    assert expired.blocked and expired.expires_at <= now()
    assert not (await Person.get(id=w.cadre_id)).is_active


async def test_a_cadre_with_nothing_in_charging_is_not_shown_this_part(charging_world):
    assert await _part(charging_world.cadre_id) is None
