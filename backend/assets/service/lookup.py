"""What a scanned asset or room QR code shows: to anyone holding a phone camera (the public
page under the code's address) and to a cadre in the mini-program. Neither shows money or
personal data: an asset's custodian appears only as a masked name ("张*"), and only in the
mini-program, whose users are the bureau's own cadres."""

from __future__ import annotations

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetStatus
from backend.assets.service import qr
from backend.assets.service.reports import unit_labels
from backend.core.errors import AppError
from backend.places import service as places

PLACE_NOT_FOUND = "places.place_not_found"


def masked_name(name: str) -> str:
    """A person's name with all but its first character hidden ("张*", "欧阳**")."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


async def asset_summary(asset_no: str, *, custodian: bool = False) -> dict:
    """The card of the asset numbered `asset_no` as a scan shows it (assets.asset_not_found for
    none): number, name, spec, class, unit, room, status and whether a repair can be reported;
    with `custodian`, the custodian's masked name."""
    asset = await Asset.get_or_none(asset_no=asset_no).select_related("category")
    if asset is None:
        raise AssetsError.ASSET_NOT_FOUND.error()
    units = await unit_labels([asset.unit_id])
    rooms = await places.full_names([asset.place_id]) if asset.place_id else {}
    view = {
        "asset_no": asset.asset_no,
        "name": asset.name,
        "spec": asset.spec,
        "category": asset.category.name,
        "unit": units.get(asset.unit_id, ""),
        "place_id": asset.place_id,
        "place": rooms.get(asset.place_id, "") if asset.place_id else "",
        "status": asset.status.value,
        "status_label": asset.status.label,
        "can_report_repair": asset.status is not AssetStatus.DISPOSED,
    }
    if custodian:
        name = (await people.person_summary(asset.custodian_id)).name if asset.custodian_id else ""
        view["custodian"] = masked_name(name)
    return view


async def room_summary(place_id: int) -> dict:
    """The room a room code names (assets.scan_room_not_found unless it is an active room), with
    the number of assets registered in it that are not disposed of."""
    try:
        place = await places.active_place(place_id)
    except AppError as refusal:
        if refusal.code != PLACE_NOT_FOUND:
            raise
        place = None
    if place is None or place["kind"] != "room":
        raise AssetsError.SCAN_ROOM_NOT_FOUND.error()
    count = await Asset.filter(place_id=place_id).exclude(status=AssetStatus.DISPOSED).count()
    return {"place_id": place_id, "name": place["name"], "full_name": place["full_name"], "assets": count}


async def scan(base_url: str, code: str) -> dict:
    """What the scanned `code` names: {"kind": "asset", "asset": …} or {"kind": "room", "room": …}.
    A code of another system raises assets.qr_foreign, a damaged one of ours assets.qr_invalid."""
    target = qr.parse(base_url, code)
    if target.kind == "asset":
        return {"kind": "asset", "asset": await asset_summary(target.asset_no, custodian=True), "room": None}
    return {"kind": "room", "asset": None, "room": await room_summary(target.place_id)}


async def asset_id(asset_no: str) -> int:
    """The id of the card numbered `asset_no`, as typed or scanned: case and spaces ignored
    (assets.asset_not_found for none)."""
    found = await Asset.filter(asset_no=asset_no.strip().upper()).values_list("id", flat=True)
    if not found:
        raise AssetsError.ASSET_NOT_FOUND.error()
    return found[0]
