"""What the charging console pages share: their permissions, the module's settings, QR images,
and the choices of sites and piles their filters offer."""

from __future__ import annotations

import base64
import io

import qrcode
from sanic.request import Request

from backend.accounts.guards import runtime
from backend.charging.config import ChargingSettings
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
