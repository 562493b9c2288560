"""Console pages for QR labels: print an A4 sheet of asset labels (the numbers typed or pasted,
or the assets ticked in the cards list, which posts `asset_ids`), a building's room QR sheet
for stock-taking, an asset's QR code as a PNG for its card, and the console's way into an
asset's or a room's page from a scanned code's address (`/console/assets/q/...`)."""

from __future__ import annotations

from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import raw, redirect

from backend.accounts.guards import runtime, scope
from backend.assets.permissions import AssetsPermission
from backend.assets.service import labels, lookup, qr
from backend.console.forms import FormErrors
from backend.console.render import page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.modules import settings_of
from backend.places import service as places

bp = Blueprint("console_assets_labels", url_prefix="/console/assets")

VIEW = AssetsPermission.VIEW_ASSETS
# Where an asset's card and a room's file live in the console (the cards and space pages).
CARD_PAGE = "/console/assets/cards/{id}"
ROOM_PAGE = "/console/assets/space/rooms/{id}"


def _base(request: Request) -> str:
    return settings_of(runtime(request).settings, "assets").qr_base_url


def pdf_download(body: bytes, filename: str):
    """A PDF to open in the browser's viewer (inline) and save under a Chinese name."""
    return raw(
        body,
        content_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename=\"labels.pdf\"; filename*=UTF-8''{quote(filename)}"},
    )


async def _labels_page(request: Request, status: int = 200, numbers: str = "", errors: FormErrors | None = None):
    return await page(
        request,
        "assets/labels.html",
        status=status,
        numbers=numbers,
        errors=errors or FormErrors(),
        building_options=[(str(b["id"]), b["name"]) for b in await places.buildings()],
        per_page=labels.ASSET_GRID.per_page,
        max_labels=labels.MAX_LABELS,
    )


@bp.get("/labels")
@console_page(VIEW)
async def labels_form(request: Request):
    return await _labels_page(request, numbers=request.args.get("numbers", "")[:20000])


@bp.post("/labels.pdf")
@console_page(VIEW)
async def labels_pdf(request: Request):
    """The sheet of the assets posted as `asset_ids` (from the cards list) or typed as `numbers`;
    the form again with the reason when refused."""
    form = request.form or {}
    numbers = form.get("numbers", "")[:20000]
    try:
        ids = [int(i) for i in form.getlist("asset_ids") if i.isdigit() and 0 < int(i) < 2**31]
        if not ids:
            ids = await labels.ids_of_numbers(numbers)
        await labels.require_in_scope(scope(request, VIEW), ids)
        body = await labels.label_sheet_pdf(ids, _base(request))
    except AppError as refusal:
        return await _labels_page(request, refusal.status, numbers, FormErrors(numbers=refusal.message))
    return pdf_download(body, f"资产标签-{len(ids)}张.pdf")


@bp.get("/labels/rooms.pdf")
@console_page(VIEW)
async def rooms_pdf(request: Request):
    raw_id = request.args.get("building", "")
    try:
        building_id = int(raw_id) if raw_id.isdigit() and int(raw_id) < 2**31 else 0
        rooms = await labels.building_rooms(building_id)
        body = await labels.room_sheet_pdf(rooms, _base(request))
    except AppError as refusal:
        return await _labels_page(request, refusal.status, errors=FormErrors(building=refusal.message))
    return pdf_download(body, f"房间盘点二维码-{len(rooms)}间.pdf")


@bp.get("/qr/<asset_no:str>")
@console_page(VIEW)
async def asset_qr_png(request: Request, asset_no: str):
    """The asset's QR code, for its card page to show and a single label printer to print."""
    found = await lookup.asset_summary(asset_no[:20])
    body = labels.qr_png(qr.asset_qr_text(_base(request), found["asset_no"]))
    return raw(body, content_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@bp.get("/q/a/<asset_no:str>")
@console_page(VIEW)
async def open_asset(request: Request, asset_no: str):
    """From the address an asset's code holds to the asset's card in the console."""
    asset_id = await lookup.asset_id(asset_no[:20])
    return redirect(CARD_PAGE.format(id=asset_id))


@bp.get("/q/r/<place_id:int>")
@console_page(AssetsPermission.VIEW_SPACE)
async def open_room(request: Request, place_id: int):
    """From the address a room's code holds to the room's file in the console."""
    await lookup.room_summary(place_id)
    return redirect(ROOM_PAGE.format(id=place_id))
