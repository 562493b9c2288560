"""The one way an asset's unit, room, custodian or status changes: the card is updated and the
change written to its history (`AssetMove`) in the caller's transaction, so that the card and
its history never disagree. Every service that moves an asset (editing, the 公物仓, disposals,
stock-take corrections) calls `move`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetMove, AssetStatus, MoveReason, WarehouseEntry

_UNSET: Any = object()


async def refuse_if_on_loan(conn: Any, asset: Asset) -> None:
    """A 公物仓 item out on loan is 在用 at the borrower's but still the warehouse's (its stay is
    open until it is returned): nothing but its return moves it (assets.asset_on_loan)."""
    if asset.status is not AssetStatus.IN_WAREHOUSE:
        if await WarehouseEntry.filter(open_asset_id=asset.id).using_db(conn).exists():
            raise AssetsError.ASSET_ON_LOAN.error()


async def move(
    conn: Any,
    asset: Asset,
    reason: MoveReason,
    actor: str,
    at: datetime,
    *,
    unit_id: int = _UNSET,
    place_id: int | None = _UNSET,
    custodian_id: int | None = _UNSET,
    status: AssetStatus = _UNSET,
    note: str = "",
) -> AssetMove | None:
    """Set what is given of unit, room, custodian and status on `asset` (read under the caller's
    lock) and record the change; nothing is written when nothing changes."""
    before = (asset.unit_id, asset.place_id, asset.custodian_id, asset.status)
    after = (
        before[0] if unit_id is _UNSET else unit_id,
        before[1] if place_id is _UNSET else place_id,
        before[2] if custodian_id is _UNSET else custodian_id,
        before[3] if status is _UNSET else status,
    )
    if after == before:
        return None
    asset.unit_id, asset.place_id, asset.custodian_id, asset.status = after
    fields = ["unit_id", "place_id", "custodian_id", "status", "updated_at"]
    if asset.status is AssetStatus.DISPOSED and asset.disposed_at is None:
        asset.disposed_at = at
        fields.append("disposed_at")
    await asset.save(using_db=conn, update_fields=fields)
    return await AssetMove.create(
        asset_id=asset.id,
        reason=reason,
        from_unit_id=before[0],
        to_unit_id=after[0],
        from_place_id=before[1],
        to_place_id=after[1],
        from_custodian_id=before[2],
        to_custodian_id=after[2],
        from_status=before[3].value,
        to_status=after[3].value,
        actor=actor,
        note=note,
        at=at,
        using_db=conn,
    )
