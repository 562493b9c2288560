"""Console page of the blacklist (黑名单): visitors' ID numbers and phones and plates refused at
invitation, registration and the gate; added with a reason, lifted, always shown masked."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.access.models import BlockKind
from backend.access.pages.admin_common import attempt
from backend.access.permissions import AccessPermission as P
from backend.access.service import blacklist
from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page

bp = Blueprint("console_access_blacklist", url_prefix="/console/access")

FLASH = {"added": "已加入黑名单，与之相符的有效来访已撤销", "lifted": "已移出黑名单"}
FIELDS = {
    "access.id_number_invalid": "value",
    "access.phone_invalid": "value",
    "access.plate_invalid": "value",
    "access.block_exists": "value",
    "access.text_too_long": "reason",
    "access.reason_required": "reason",
}
KINDS = tuple((k.value, k.label) for k in BlockKind)


async def _page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "access/blacklist.html",
        status=status,
        blocks=await blacklist.list_blocks(active_only=request.args.get("all") != "1"),
        show_all=request.args.get("all") == "1",
        kinds=KINDS,
        flash=flash(request, FLASH),
        can_manage=can(request, P.MANAGE_BLACKLIST),
        form=form or {"kind": BlockKind.ID_NUMBER.value},
        errors=errors or FormErrors(),
    )


@bp.get("/blacklist")
@console_page(P.VIEW_ACCESS)
async def blacklist_page(request: Request):
    return await _page(request)


@bp.post("/blacklist")
@console_page(P.MANAGE_BLACKLIST)
async def add(request: Request):
    form = request.form or {}
    kind = form.get("kind", "")
    if kind not in {k.value for k in BlockKind}:
        return await _page(request, 422, posted(request), FormErrors({"kind": "请选择类别"}))
    _, errors = await attempt(
        blacklist.add(
            actor(request), runtime(request).cipher, BlockKind(kind), form.get("value", ""), form.get("reason", "")
        ),
        FIELDS,
    )
    if not errors:
        return redirect("/console/access/blacklist?done=added")
    # The typed value is not put back: an ID number is not echoed into a page.
    return await _page(request, 422, {**posted(request), "value": ""}, errors)


@bp.post("/blacklist/<block_id:int>/lift")
@console_page(P.MANAGE_BLACKLIST)
async def lift(request: Request, block_id: int):
    await blacklist.lift(actor(request), block_id)
    return redirect("/console/access/blacklist?done=lifted")
