"""What the charging console pages share: their permissions, the module's settings, QR images,
and who pays for a session as staff read it."""

from __future__ import annotations

import base64
import io

import qrcode
from sanic.request import Request

from backend.accounts.guards import runtime
from backend.accounts.service import people
from backend.charging.config import ChargingSettings
from backend.charging.models import PayerKind
from backend.charging.permissions import ChargingPermission
from backend.charging.service import piles
from backend.modules import settings_of

VIEW = ChargingPermission.VIEW_CHARGING
MANAGE = ChargingPermission.MANAGE_PILES
SEND = ChargingPermission.SEND_COMMANDS
TARIFF = ChargingPermission.MANAGE_TARIFF


def settings(request: Request) -> ChargingSettings:
    return settings_of(runtime(request).settings, "charging")


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def qr_data_uri(text: str) -> str:
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode()


async def site_options() -> list[tuple[str, str]]:
    return [(str(s["id"]), s["name"]) for s in await piles.list_sites()]


async def pile_options(active_only: bool = False) -> list[tuple[str, str]]:
    return [
        (str(p["id"]), f"{p['name']}（{p['box_id']}）")
        for p in await piles.list_piles()
        if p["is_active"] or not active_only
    ]


async def payer_names(rows: list[dict]) -> None:
    """Name each session row's payer: the cadre for a wallet, the car and its unit for the fleet,
    and say so when nobody pays (an unknown card)."""
    people_ids = {r["person_id"] for r in rows if r["person_id"]}
    names = {p.id: p.name for p in await people.people_summaries(people_ids)}
    units = await people.units_by_id({r["unit_id"] for r in rows if r["unit_id"]})
    plates = await piles.plates({r["vehicle_id"] for r in rows if r["vehicle_id"]})
    for row in rows:
        if row["payer_kind"] == PayerKind.WALLET.value:
            row["payer"] = names.get(row["person_id"], "")
        elif row["payer_kind"] == PayerKind.FLEET.value:
            unit = units.get(row["unit_id"])
            row["payer"] = f"{plates.get(row['vehicle_id'], '')}（{unit.name if unit else ''}）"
        else:
            row["payer"] = "无付款人"
