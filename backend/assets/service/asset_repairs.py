"""Repairs reported from an asset's QR code (随手拍 from the asset), and an asset's repairs for
its card. The report itself is the repairs module's (`reports.submit`, idempotent on the cadre's
`client_ref`), filed against the asset's room with "资产 <number> <name>" as the spot; this side
keeps only the link (`AssetRepair`, one per report). The link is written after the report is
filed: should that fail, the mini-program's retry with the same `client_ref` gets the same report
back and writes the link then, so nothing is filed twice and no report stays unlinked."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetRepair, AssetStatus
from backend.core.timeutil import now
from backend.repairs.service import reports as repair_reports
from backend.repairs.service.reports import Who

SPOT_CHARS = 100


def spot_of(asset: Asset) -> str:
    """Where in its room the asset is, as the repair report names it."""
    return f"资产 {asset.asset_no} {asset.name}"[:SPOT_CHARS]


async def report_repair(
    cadre_id: int,
    asset_no: str,
    client_ref: str,
    category_id: int,
    description: str,
    photo_ids: list[int],
    at: datetime,
) -> tuple[dict, bool]:
    """File a repair of the asset numbered `asset_no` for the cadre, in its room. Returns the
    report ({"id", "state"}) and whether it was filed now (False: a retry of the same client_ref).
    Raises assets.asset_not_found, assets.asset_gone for an asset disposed of, and the repairs
    module's refusals (category, photos)."""
    asset = await Asset.get_or_none(asset_no=asset_no)
    if asset is None:
        raise AssetsError.ASSET_NOT_FOUND.error()
    if asset.status is AssetStatus.DISPOSED:
        raise AssetsError.ASSET_GONE.error()
    report, created = await repair_reports.submit(
        await Who.of_cadre(cadre_id),
        client_ref,
        category_id,
        asset.place_id,
        spot_of(asset),
        description,
        photo_ids,
        at,
    )
    try:
        await AssetRepair.create(asset_id=asset.id, repair_id=report["id"])
    except IntegrityError:
        pass  # linked already: this is a retry, or its twin got there first
    return {**report, "asset_no": asset.asset_no}, created


async def repairs_of(asset_id: int, at: datetime | None = None) -> list[dict]:
    """The repairs reported from this asset's QR code, newest first, as the repairs module's lists
    show them (state, category, description, dates, overdue as of `at`, default now)."""
    ids = await AssetRepair.filter(asset_id=asset_id).values_list("repair_id", flat=True)
    if not ids:
        return []
    return await repair_reports.views_of(ids, at or now())
