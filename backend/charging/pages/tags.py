"""Console page of fleet cards (公务车充电卡): the cards official cars charge with, registered by
the car's plate and billed to its unit, and the unknown cards piles met (blocked when first
seen); a card is blocked (lost, misused) or unblocked with a reason. Start tokens of the
mini-program are not listed: they live for minutes and expire on their own."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.charging.models import Tag, TagKind
from backend.charging.pages.common import MANAGE, VIEW
from backend.charging.schemas import FleetCardIn, TagBlockIn
from backend.charging.service import piles
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, fetch
from backend.wallet.service.wallets import mask_uid

bp = Blueprint("console_charging_tags", url_prefix="/console/charging")

FLASH = {
    "registered": "充电卡已登记，刷卡充电费用记入车辆所属单位",
    "blocked": "充电卡已停用",
    "unblocked": "充电卡已恢复",
}
CARD_FIELDS = {
    "charging.tag_invalid": "id_tag",
    "charging.tag_taken": "id_tag",
    "charging.vehicle_not_chargeable": "plate",
}
LISTED_KINDS = (TagKind.FLEET, TagKind.UNKNOWN)

TAGS = Table(
    title="充电卡",
    columns=(
        Column("id_tag", "卡号", sort="id_tag"),
        Column("kind_label", "类别", sort="kind"),
        Column("plate", "车牌"),
        Column("state_label", "状态"),
        Column("blocked_reason", "停用原因"),
        Column("created_at", "登记时间", sort="created_at", kind="datetime"),
    ),
    default_sort="-created_at",
    filters=(
        Filter("q", "卡号", max_length=20),
        Filter("kind", "类别", kind="select", options=tuple((k.value, k.label) for k in LISTED_KINDS)),
        Filter("blocked", "状态", kind="select", options=(("0", "可用"), ("1", "已停用"))),
    ),
)


def _row(tag: Tag) -> dict:
    row = piles.tag_view(tag)
    row["created_at"] = tag.created_at
    row["state_label"] = "已停用" if tag.blocked else "可用"
    # The page finds a card by part of its number (the filter) but never shows it whole.
    row["id_tag"] = mask_uid(tag.id_tag)
    return row


async def _tags_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    state = TAGS.state(request)
    query = Tag.filter(kind__in=list(LISTED_KINDS))
    if q := state.filters["q"]:
        query = query.filter(id_tag__icontains=q)
    if kind := state.filters["kind"]:
        query = query.filter(kind=kind)
    if blocked := state.filters["blocked"]:
        query = query.filter(blocked=blocked == "1")
    await fetch(state, query, _row)
    found = await piles.plates({r["vehicle_id"] for r in state.result.items if r["vehicle_id"]})
    for row in state.result.items:
        row["plate"] = found.get(row["vehicle_id"], "")
    return await page(
        request,
        "charging/tags.html",
        status=status,
        state=state,
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/tags")
@console_page(VIEW)
async def tags(request: Request):
    return await _tags_page(request)


@bp.post("/tags")
@console_page(MANAGE)
async def register(request: Request):
    _, errors = await submit(
        FleetCardIn,
        form_data(request),
        lambda body: piles.register_fleet_card(actor(request), body.id_tag, body.plate),
        CARD_FIELDS,
    )
    if not errors:
        return redirect("/console/charging/tags?done=registered")
    return await _tags_page(request, 422, posted(request), errors)


@bp.post("/tags/<tag_id:int>/block")
@console_page(MANAGE)
async def block(request: Request, tag_id: int):
    """blocked=1 blocks the card, blocked=0 lifts the block; both need a reason."""
    data = form_data(request)
    _, errors = await submit(
        TagBlockIn, data, lambda body: piles.set_tag_blocked(actor(request), tag_id, body.blocked, body.reason)
    )
    if not errors:
        return redirect(f"/console/charging/tags?done={'blocked' if data.get('blocked') == '1' else 'unblocked'}")
    return await _tags_page(request, 422, errors=FormErrors({"": f"卡片 #{tag_id}：{next(iter(errors.values()))}"}))
