"""What the assets module tells through WeChat subscribe messages (sent by backend.notices): an
asset officer, when their 公物仓 request or disposal request is approved or refused, and a
borrower, before a loan falls due and once it is overdue. All use one WeChat template
(WECHAT_ASSETS_TEMPLATE_ID) under two names, one per kind of subject; the message is read from
the request when it is sent, so a retry tells how things stand then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.assets.models import Disposal, DisposalState, RequestKind, RequestState, WarehouseRequest
from backend.core.timeutil import BUSINESS_TZ, today
from backend.notices import service as notices

REQUEST = "assets.request"
DISPOSAL = "assets.disposal"
PAGE = "pages/assets/request"
# A state's word where its label is longer than WeChat's phrase (5 characters): an approved
# disposal is 已批准 (its label 已批准待执行 would be cut to 已批准待执).
DISPOSAL_PHRASES = {DisposalState.APPROVED: "已批准"}


async def tell_requester(conn: Any, request_id: int, person_id: int, at: datetime) -> None:
    """A notice about a 公物仓 request to `person_id`, in the caller's transaction."""
    await notices.queue(conn, REQUEST, person_id, request_id, at)


async def tell_disposal_requester(conn: Any, disposal_id: int, person_id: int, at: datetime) -> None:
    await notices.queue(conn, DISPOSAL, person_id, disposal_id, at)


def _fields(number: str, thing: str, state: str, at: datetime, note: str) -> dict[str, str]:
    """The template's fields (keys fixed by the template: see the README on
    WECHAT_ASSETS_TEMPLATE_ID), cut to WeChat's limits (thing ≤ 20 characters, phrase ≤ 5)."""
    return {
        "character_string1": number[:32],
        "thing2": thing[:20],
        "phrase3": state[:5],
        "time4": at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "thing5": note[:20] or "无",
    }


def _loan_note(request: WarehouseRequest) -> str:
    if request.kind is not RequestKind.LOAN or request.state != RequestState.APPROVED or request.return_due is None:
        return ""
    if request.return_due < today():
        return f"已逾期，应于{request.return_due:%m月%d日}归还"
    return f"请于{request.return_due:%m月%d日}前归还"


async def render_request(request_id: int) -> notices.Message | None:
    request = await WarehouseRequest.get_or_none(id=request_id).select_related("asset")
    if request is None:
        return None
    state = "已逾期" if _loan_note(request).startswith("已逾期") else request.state.label
    fields = _fields(
        request.request_no,
        f"{request.kind.label} {request.asset.name}",
        state,
        request.decided_at or request.created_at,
        _loan_note(request),
    )
    return notices.Message(fields, f"{PAGE}?kind=warehouse&id={request.id}")


async def render_disposal(disposal_id: int) -> notices.Message | None:
    disposal = await Disposal.get_or_none(id=disposal_id).select_related("asset")
    if disposal is None:
        return None
    fields = _fields(
        disposal.disposal_no,
        f"{disposal.method.label} {disposal.asset.name}",
        DISPOSAL_PHRASES.get(disposal.state, disposal.state.label),
        disposal.decided_at or disposal.created_at,
        "",
    )
    return notices.Message(fields, f"{PAGE}?kind=disposal&id={disposal.id}")
