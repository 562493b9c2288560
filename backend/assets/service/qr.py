"""What an asset's or a room's QR code says, and reading it back: a link under the platform's
public address (`ASSETS_QR_BASE_URL`), `<base>/q/a/<asset number>` for an asset and
`<base>/q/r/<place id>` for a room, so a phone's camera opens the card and the mini-program,
registered for that address, opens its own page. Anything else is another system's code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from backend.assets.errors import AssetsError

ASSET_NO = re.compile(r"ZC\d{8,12}")
_PATH = re.compile(r"/q/(?P<kind>[ar])/(?P<key>[A-Za-z0-9]{1,20})")


@dataclass(frozen=True)
class QrTarget:
    kind: Literal["asset", "room"]
    asset_no: str = ""
    place_id: int = 0


def asset_number(asset_id: int) -> str:
    """The asset number of the card with this id (资产编号): the id the database's sequence gave it."""
    return f"ZC{asset_id:08d}"


def asset_qr_text(base_url: str, asset_no: str) -> str:
    return f"{base_url}/q/a/{asset_no}"


def room_qr_text(base_url: str, place_id: int) -> str:
    return f"{base_url}/q/r/{place_id}"


def parse(base_url: str, text: str) -> QrTarget:
    """The asset or room a scanned code names (raises assets.qr_foreign for a code that is not
    this platform's, assets.qr_invalid for one of its shape that names nothing it could be)."""
    text = (text or "").strip()
    if len(text) > 300 or not text.startswith(f"{base_url}/q/"):
        raise AssetsError.QR_FOREIGN.error()
    match = _PATH.fullmatch(text[len(base_url) :])
    if match is None:
        raise AssetsError.QR_INVALID.error()
    key = match["key"]
    if match["kind"] == "a":
        if not ASSET_NO.fullmatch(key):
            raise AssetsError.QR_INVALID.error()
        return QrTarget("asset", asset_no=key)
    if not key.isdigit() or not 0 < int(key) < 2**31:
        raise AssetsError.QR_INVALID.error()
    return QrTarget("room", place_id=int(key))
