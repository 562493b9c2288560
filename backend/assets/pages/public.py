"""The pages an asset's or a room's QR code opens in a phone's camera or browser (`/q/a/<asset
number>`, `/q/r/<room id>`): what the thing is (an asset's number, name, class, unit and room; a
room's name), no money and no personal data, and how to go on: the mini-program, registered for
this address, opens its own page from the same code; staff open the console's card.

The console's session cookie is scoped to /console, so these pages cannot tell an admin from a
passer-by: the console link goes through `/console/assets/q/...`, which logs the admin in if
needed and redirects to the card."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic_ext import render

from backend.accounts.guards import rate_limited
from backend.assets.service import lookup, qr
from backend.console.render import secure_headers
from backend.core.errors import AppError

bp = Blueprint("assets_public_qr", url_prefix="/q")


async def _page(status: int, **context):
    response = await render("assets/qr_public.html", status=status, context=context)
    return secure_headers(response)


# Asset numbers follow each other: a limit per address keeps a script from reading the whole
# register through these pages.
@bp.get("/a/<asset_no:str>")
@rate_limited("api_rate_limit", "assets_qr_page")
async def asset(request: Request, asset_no: str):
    if not qr.ASSET_NO.fullmatch(asset_no):
        return await _page(404, missing="这个二维码不完整或已损坏，无法识别")
    try:
        found = await lookup.asset_summary(asset_no)
    except AppError as refusal:
        return await _page(refusal.status, missing=refusal.message)
    return await _page(200, asset=found, console=f"/console/assets/q/a/{asset_no}")


@bp.get("/r/<place_id:int>")
@rate_limited("api_rate_limit", "assets_qr_page")
async def room(request: Request, place_id: int):
    try:
        found = await lookup.room_summary(place_id) if 0 < place_id < 2**31 else None
    except AppError as refusal:
        return await _page(refusal.status, missing=refusal.message)
    if found is None:
        return await _page(404, missing="这个二维码不完整或已损坏，无法识别")
    return await _page(200, room=found, console=f"/console/assets/q/r/{place_id}")
