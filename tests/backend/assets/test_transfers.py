"""Room reallocation (办公用房调剂): asked for by an asset officer of the receiving unit, for a
vacant room only (no unit, no occupants, no other unit's assets: a held room is reallocated once
its unit gives it up), approved through the approval chain by an approver over that unit, then
the room is that unit's if it is still vacant; one request per room at a time; withdrawn by the
requester only; kept as the room's history; listed in a few queries however many there are."""

from datetime import date

import pytest

from backend.approvals import service as approvals
from backend.approvals.models import ApproverRole
from backend.assets.models import RoomTransfer, TransferState
from backend.assets.service import transfers
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.places import service as places
from backend.places.models import RoomUse
from tests.fixtures.assets import make_asset, make_room
from tests.helpers.assets_approvals import bureau_decides
from tests.helpers.queries import recorded_queries

KIND = "assets.room_transfer"


async def _ask(world, place: str = "303", employee_no: str = "D0003", unit: str = "CZJ-BGS", ref: str = "ref-0001"):
    return await transfers.request(
        world.people[employee_no], ref, world.places[place], world.units[unit], "新增编制人员需要办公室", now()
    )


async def _unit_of(world, place: str) -> int | None:
    return (await places.room_facts([world.places[place]]))[world.places[place]]["unit_id"]


async def test_an_approved_request_gives_the_room_to_the_requesting_unit(assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    asked, created = await _ask(w)
    again, created_again = await _ask(w)
    assert (created, created_again, again["id"]) == (True, False, asked["id"])
    assert asked["state"] == "pending" and asked["from_unit"] == ""
    await approvals.decide(asked["approval_id"], 1, w.people["D0005"], True, "", now())
    await bureau_decides(w, asked["approval_id"], "D0001")
    assert await _unit_of(w, "303") == w.units["CZJ-BGS"]
    history = await transfers.history(w.places["303"])
    assert [(t["state"], t["to_unit"]) for t in history] == [("done", "市财政局·办公室")]
    entry = await AuditEntry.get(action="assets.transfer_room")
    assert (entry.before["unit"], entry.after["unit"]) == ("（空置）", "市财政局·办公室")


async def test_a_refused_request_leaves_the_room_vacant(assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    asked, _ = await _ask(w)
    await approvals.decide(asked["approval_id"], 1, w.people["D0005"], False, "暂不调剂", now())
    assert await _unit_of(w, "303") is None
    assert (await RoomTransfer.get(id=asked["id"])).state == TransferState.REFUSED


async def test_a_room_another_unit_holds_cannot_be_asked_for(assets_world):
    # 301 is FGW's, with its officer's colleague working in it: CZJ may not take it, even with
    # its own leader's approval; FGW has to give it up first.
    w = assets_world
    with pytest.raises(AppError) as refused:
        await _ask(w, place="301")
    assert refused.value.code == "assets.room_not_vacant"
    assert await RoomTransfer.all().count() == 0
    assert await _unit_of(w, "301") == w.units["FGW-BGS"]
    assert w.places["301"] not in [r["id"] for r in await transfers.vacant_rooms()]


async def test_a_vacant_room_with_occupants_or_another_units_assets_cannot_be_asked_for(assets_world):
    w = assets_world
    await places.add_occupant(
        None, CLI_ACTOR, w.places["303"], w.people["D0005"], places.OfficeGrade.BELOW_BUREAU, date(2026, 1, 5)
    )
    with pytest.raises(AppError) as occupied:
        await _ask(w)
    assert occupied.value.code == "assets.room_has_occupants"
    assert w.places["303"] not in [r["id"] for r in await transfers.vacant_rooms()]
    await places.remove_occupant(None, CLI_ACTOR, w.places["303"], w.people["D0005"])

    # FGW's cabinet left in the room: FGW moves it out first; CZJ's own one is no obstacle
    cabinet = await make_asset(
        w.categories["A050103"], "文件柜", w.units["FGW-BGS"], w.places["303"], 90000, date(2022, 5, 1)
    )
    with pytest.raises(AppError) as furnished:
        await _ask(w)
    assert furnished.value.code == "assets.room_has_assets"
    assert w.places["303"] not in [r["id"] for r in await transfers.vacant_rooms({w.units["CZJ-BGS"]})]
    cabinet.unit_id = w.units["CZJ-BGS"]
    await cabinet.save(update_fields=["unit_id"])
    assert w.places["303"] in [r["id"] for r in await transfers.vacant_rooms({w.units["CZJ-BGS"]})]
    asked, created = await _ask(w)
    assert created and asked["state"] == "pending"


async def test_a_room_no_longer_vacant_when_approved_is_not_taken_from_its_new_unit(assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    asked, _ = await _ask(w)
    await approvals.decide(asked["approval_id"], 1, w.people["D0005"], True, "", now())
    # meanwhile the register gives the room to FGW's planning office
    await places.set_room_facts(None, CLI_ACTOR, w.places["303"], 2000, 2600, RoomUse.OFFICE, w.units["FGW-GHC"])
    with pytest.raises(AppError) as refused:
        await bureau_decides(w, asked["approval_id"], "D0001")
    assert refused.value.code == "assets.room_not_vacant"
    assert await _unit_of(w, "303") == w.units["FGW-GHC"]
    assert (await RoomTransfer.get(id=asked["id"])).state == TransferState.PENDING
    # the bureau can still turn it down
    await bureau_decides(w, asked["approval_id"], "D0001", approve=False)
    assert (await RoomTransfer.get(id=asked["id"])).state == TransferState.REFUSED
    assert await _unit_of(w, "303") == w.units["FGW-GHC"]


async def test_an_approver_of_an_unrelated_unit_cannot_decide(assets_world):
    w = assets_world
    await w.approver("D0001", ApproverRole.UNIT_LEADER, "FGW")
    asked, _ = await _ask(w)
    with pytest.raises(AppError) as refused:
        await approvals.decide(asked["approval_id"], 1, w.people["D0001"], True, "", now())
    assert refused.value.code == "approvals.not_approver"
    assert await _unit_of(w, "303") is None


async def test_a_room_with_a_pending_request_cannot_be_asked_for_again(assets_world):
    w = assets_world
    await _ask(w)
    with pytest.raises(AppError) as refused:
        await _ask(w, employee_no="D0002", unit="FGW-GHC", ref="ref-0002")
    assert refused.value.code == "assets.transfer_pending"
    assert w.places["303"] not in [r["id"] for r in await transfers.vacant_rooms()]


@pytest.mark.parametrize(
    ("employee_no", "unit", "place", "code"),
    [
        ("D0001", "CZJ-BGS", "303", "assets.not_asset_officer"),  # not an officer at all
        ("D0003", "FGW-GHC", "303", "assets.not_asset_officer"),  # an officer of another unit
        ("D0003", "CZJ-BGS", "302", "assets.room_already_held"),
        ("D0003", "CZJ-BGS", "301", "assets.room_not_vacant"),  # FGW's
        ("D0003", "CZJ-BGS", "A座 3楼", "places.not_a_room"),
    ],
)
async def test_who_may_ask_and_for_what(assets_world, employee_no, unit, place, code):
    with pytest.raises(AppError) as refused:
        await _ask(assets_world, place=place, employee_no=employee_no, unit=unit)
    assert refused.value.code == code
    assert await RoomTransfer.all().count() == 0


async def test_only_the_requester_withdraws_and_then_nobody_decides(assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    asked, _ = await _ask(w)
    with pytest.raises(AppError) as not_theirs:
        await transfers.cancel(w.people["D0002"], asked["id"], now())
    assert not_theirs.value.code == "assets.transfer_not_found"
    cancelled = await transfers.cancel(w.people["D0003"], asked["id"], now())
    assert cancelled["state"] == "cancelled"
    with pytest.raises(AppError) as late:
        await approvals.decide(asked["approval_id"], 1, w.people["D0005"], True, "", now())
    assert late.value.code == "approvals.cancelled"
    assert await _unit_of(w, "303") is None
    # the room may be asked for again once the request is withdrawn
    again, created = await _ask(w, ref="ref-0003")
    assert created and again["state"] == "pending"


async def test_many_requests_are_listed_in_a_few_queries(assets_world):
    w = assets_world
    floor = w.places["A座 3楼"]
    for n in range(30):
        room = await make_room(floor, f"3{n + 10:02d}", 2000, RoomUse.OFFICE, None)
        await transfers.request(w.people["D0003"], f"ref-{n:04d}", room, w.units["CZJ-BGS"], "新增编制人员", now())
    with recorded_queries() as executed:
        found = await transfers.listed(Scope.EVERYTHING)
    assert len(found) == 30 and all(t["approval_id"] for t in found)
    assert len(executed) <= 12, executed


async def test_a_client_ref_reused_for_another_room_is_refused_and_files_nothing(assets_world):
    w = assets_world
    first, _ = await _ask(w)
    other = await make_room(w.places["A座 3楼"], "304", 1500, RoomUse.OFFICE, None)
    w.places["304"] = other
    with pytest.raises(AppError) as refused:
        await _ask(w, place="304")
    assert refused.value.code == "assets.client_ref_reused"
    assert f"#{first['id']}" in refused.value.message
    assert await RoomTransfer.filter(place_id=other).count() == 0
