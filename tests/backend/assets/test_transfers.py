"""Room reallocation (办公用房调剂): asked for by an asset officer of the receiving unit, approved
through the approval chain by an approver over that unit, then the room is that unit's; one
request per room at a time; withdrawn by the requester only; kept as the room's history."""

import pytest

from backend.approvals import service as approvals
from backend.approvals.models import ApproverRole
from backend.assets.models import RoomTransfer, TransferState
from backend.assets.service import transfers
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.places import service as places
from tests.helpers.assets_approvals import bureau_decides

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


async def test_a_refused_request_leaves_the_room_where_it_was(assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    asked, _ = await _ask(w, place="301")
    await approvals.decide(asked["approval_id"], 1, w.people["D0005"], False, "该房间仍在使用", now())
    assert await _unit_of(w, "301") == w.units["FGW-BGS"]
    assert (await RoomTransfer.get(id=asked["id"])).state == TransferState.REFUSED


async def test_an_approver_of_another_unit_cannot_decide(assets_world):
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
