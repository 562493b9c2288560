"""Room reallocation between units (办公用房调剂): a unit's asset officer asks, in the
mini-program, for a vacant room; the request goes through the approval chain
(`backend.approvals`, kind `assets.room_transfer`) over the receiving unit, and once approved the
room is that unit's. The requests stay as the room's history.

Only a vacant room can be asked for and given: registered, held by no unit, nobody registered as
working in it, and no asset of another unit in it. A room a unit holds is reallocated only once
that unit has given it up (the register's unit cleared, its occupants and assets moved out), so
no unit loses a room, or finds its people and assets in another unit's room, without having a
say. The approval is told the same when it ends: a room no longer vacant is not handed over.

A room has at most one request waiting at a time: a request locks the room's row (through the
places service) before looking for another pending one, so two officers asking at once queue and
the second is told."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.service import ApprovalOutcome, Subject
from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetStatus, RoomTransfer, TransferState
from backend.assets.service import officers, standards
from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.permissions import Scope
from backend.places import service as places

KIND = "assets.room_transfer"
# Who changes a room's unit when its reallocation is approved: the approval chain (the
# approvers' own decisions are audited by backend.approvals).
APPROVED_BY_CHAIN = Actor(admin_id=None, name="审批流")
REASON_CHARS = (2, 500)


async def request(
    person_id: int, client_ref: str, place_id: int, unit_id: int, reason: str, at: datetime
) -> tuple[dict, bool]:
    """`person_id`, an asset officer acting for `unit_id`, asks for the room. The same client_ref
    from the same person files it once: a retry gets the first request back, the key reused for
    another room or unit is refused (assets.client_ref_reused). Returns (request, created)."""
    reason = reason.strip()
    if not REASON_CHARS[0] <= len(reason) <= REASON_CHARS[1]:
        raise AssetsError.REASON_REQUIRED.error()
    await officers.require(person_id, unit_id)
    requester = await people.person_summary(person_id)

    async def filed(conn: Any, room: dict) -> tuple[dict, bool]:
        await _require_vacant(conn, room, unit_id)
        if await RoomTransfer.filter(place_id=place_id, state=TransferState.PENDING).using_db(conn).exists():
            raise AssetsError.TRANSFER_PENDING.error()
        transfer = await RoomTransfer.create(
            place_id=place_id,
            from_unit_id=room["unit_id"],
            to_unit_id=unit_id,
            requester_id=person_id,
            reason=reason,
            client_ref=client_ref,
            created_at=at,
            using_db=conn,
        )
        title = f"{requester.name} 申请调剂 {room['full_name']}"
        await approvals.start(conn, Subject(KIND, transfer.id, unit_id, person_id, title), frozenset(), at)
        return (await _views([transfer], conn))[0], True

    async def replayed(existing: RoomTransfer) -> tuple[dict, bool]:
        return (await _views([existing]))[0], False

    def same(existing: RoomTransfer) -> bool:
        nonlocal reused
        reused = f"调剂申请 #{existing.id}"
        return (existing.place_id, existing.to_unit_id) == (place_id, unit_id)

    reused = ""

    return await idempotency.run_once(
        filed,
        find=lambda conn: RoomTransfer.get_or_none(requester_id=person_id, client_ref=client_ref).using_db(conn),
        replay=replayed,
        # The same form sent again replays; the key reused for another room or unit is refused.
        matches=same,
        refusal=lambda: AssetsError.CLIENT_REF_REUSED.error(number=reused),
        # The room's lock comes before the look-up, so a retry sent beside its first attempt
        # waits for it and replays it instead of finding the room asked for.
        lock=lambda conn: places.lock_room(conn, place_id),
    )


async def _require_vacant(conn: Any, room: dict, unit_id: int) -> None:
    """Raises unless the room (as `places.lock_room` read it, locked) may go to `unit_id`: it is
    registered, no unit holds it, nobody works in it, and no asset of a unit outside `unit_id`'s
    subtree is in it (disposed ones aside)."""
    if not room["registered"]:
        raise places.PlacesError.NOT_IN_REGISTER.error()
    if room["unit_id"] == unit_id:
        raise AssetsError.ROOM_ALREADY_HELD.error()
    if room["unit_id"] is not None:
        raise AssetsError.ROOM_NOT_VACANT.error()
    if room["occupant_count"]:
        raise AssetsError.ROOM_HAS_OCCUPANTS.error(count=room["occupant_count"])
    foreign = await _foreign_assets([room["id"]], {unit_id}, conn)
    if foreign.get(room["id"]):
        raise AssetsError.ROOM_HAS_ASSETS.error(count=foreign[room["id"]])


async def _foreign_assets(place_ids: list[int], unit_ids: set[int] | None, conn: Any = None) -> dict[int, int]:
    """{room id: how many assets (not disposed) of units outside the subtrees of `unit_ids` (of
    any unit when None) are in it} of these rooms; rooms with none are left out."""
    within: set[int] = set()
    if unit_ids:
        units = await people.units_by_id(unit_ids)
        within = set(await people.units_within(Scope.units(u.path for u in units.values())) or [])
    found: dict[int, int] = {}
    for start in range(0, len(place_ids), 1000):
        rows = (
            await Asset.filter(place_id__in=place_ids[start : start + 1000])
            .exclude(status=AssetStatus.DISPOSED)
            .using_db(conn)
            .values_list("place_id", "unit_id")
        )
        for place_id, asset_unit in rows:
            if asset_unit not in within:
                found[place_id] = found.get(place_id, 0) + 1
    return found


async def decided(conn: Any, transfer_id: int, outcome: ApprovalOutcome, at: datetime) -> None:
    """The approval chain's end (called by backend.approvals in its transaction): approved, the
    room is given to the requesting unit, if it is still vacant (otherwise the approval is
    refused with the reason, and the approver can only turn the request down); refused, the
    request is closed."""
    transfer = await RoomTransfer.filter(id=transfer_id).using_db(conn).select_for_update().get()
    if transfer.state != TransferState.PENDING:
        return
    if outcome == ApprovalOutcome.APPROVED:
        # The register may have changed since the request (a unit given the room, people or
        # assets put in it): a room that is no longer vacant is not taken from anyone.
        await _require_vacant(conn, await places.lock_room(conn, transfer.place_id), transfer.to_unit_id)
        transfer.from_unit_id = await places.set_room_unit(conn, transfer.place_id, transfer.to_unit_id)
        transfer.state = TransferState.DONE
        names = await standards.unit_names(
            [transfer.to_unit_id, *([transfer.from_unit_id] if transfer.from_unit_id else [])]
        )
        await record(
            conn,
            APPROVED_BY_CHAIN,
            "assets.transfer_room",
            "place",
            transfer.place_id,
            {"unit": names.get(transfer.from_unit_id, "（空置）")},
            {"unit": names.get(transfer.to_unit_id, ""), "transfer": f"调剂申请 #{transfer.id}"},
        )
    else:
        transfer.state = TransferState.REFUSED
    transfer.decided_at = at
    await transfer.save(using_db=conn, update_fields=["state", "decided_at", "from_unit_id"])


async def cancel(person_id: int, transfer_id: int, at: datetime) -> dict:
    """The requester withdraws a request still waiting; its approval is cancelled with it."""
    async with in_transaction() as conn:
        await approvals.lock_of_subject(conn, KIND, transfer_id)
        transfer = await RoomTransfer.filter(id=transfer_id).using_db(conn).select_for_update().first()
        if transfer is None or transfer.requester_id != person_id:
            raise AssetsError.TRANSFER_NOT_FOUND.error()
        if transfer.state != TransferState.PENDING:
            raise AssetsError.TRANSFER_STATE.error(state=transfer.state.label)
        await approvals.cancel(conn, KIND, transfer.id, at)
        transfer.state, transfer.decided_at = TransferState.CANCELLED, at
        await transfer.save(using_db=conn, update_fields=["state", "decided_at"])
        return (await _views([transfer], conn))[0]


async def _views(transfers: list[RoomTransfer], conn: Any = None) -> list[dict]:
    names = await places.full_names(t.place_id for t in transfers)
    unit_ids = {t.to_unit_id for t in transfers} | {t.from_unit_id for t in transfers if t.from_unit_id}
    units = await standards.unit_names(unit_ids)
    requesters = {p.id: p for p in await people.people_summaries(t.requester_id for t in transfers)}
    of_transfer = await approvals.of_subjects(KIND, (t.id for t in transfers), conn)
    found = []
    for t in transfers:
        approval = of_transfer.get(t.id)
        found.append(
            {
                "id": t.id,
                "place_id": t.place_id,
                "room": names.get(t.place_id, ""),
                "from_unit": units.get(t.from_unit_id, "") if t.from_unit_id else "",
                "to_unit": units.get(t.to_unit_id, ""),
                "to_unit_id": t.to_unit_id,
                "requester": requesters[t.requester_id].name if t.requester_id in requesters else "",
                "reason": t.reason,
                "state": t.state.value,
                "state_label": t.state.label,
                "created_at": t.created_at,
                "decided_at": t.decided_at,
                "approval_id": approval.id if approval else None,
            }
        )
    return found


async def mine(person_id: int, limit: int = 100) -> list[dict]:
    """The person's requests, newest first."""
    return await _views(await RoomTransfer.filter(requester_id=person_id).order_by("-id").limit(limit))


async def detail(person_id: int, transfer_id: int) -> dict:
    transfer = await RoomTransfer.get_or_none(id=transfer_id, requester_id=person_id)
    if transfer is None:
        raise AssetsError.TRANSFER_NOT_FOUND.error()
    return (await _views([transfer]))[0]


async def history(place_id: int) -> list[dict]:
    """A room's reallocations and requests, newest first (its file's 调剂记录)."""
    return await _views(await RoomTransfer.filter(place_id=place_id).order_by("-id"))


async def listed(scope: Scope, state: str = "", limit: int = 500) -> list[dict]:
    """The requests `scope` reaches (asked by or taken from one of its units), newest first."""
    query = RoomTransfer.all()
    if state:
        query = query.filter(state=TransferState(state))
    units = await people.units_within(scope)
    if units is not None:
        query = query.filter(Q(to_unit_id__in=units) | Q(from_unit_id__in=units))
    return await _views(await query.order_by("-id").limit(limit))


async def vacant_rooms(unit_ids: set[int] | None = None) -> list[dict]:
    """Registered rooms no unit holds, nobody works in and nobody has asked for yet, with no
    asset in them of a unit outside `unit_ids`' subtrees (of any unit when None): what an
    officer acting for `unit_ids` may ask for in the mini-program."""
    asked = set(await RoomTransfer.filter(state=TransferState.PENDING).values_list("place_id", flat=True))
    vacant = [r for r in await places.rooms(vacant_only=True) if not r["occupants"] and r["id"] not in asked]
    foreign = await _foreign_assets([r["id"] for r in vacant], unit_ids)
    return [
        {
            "id": room["id"],
            "full_name": room["full_name"],
            "use_area": room["use_area"],
            "building_area": room["building_area"],
            "use": room["use"],
            "use_label": room["use_label"],
        }
        for room in vacant
        if room["id"] not in foreign
    ]
