"""What gates and visitors tell a host through WeChat subscribe messages (sent by
backend.notices), with one template, access.visit (WECHAT_ACCESS_TEMPLATE_ID): a visitor asks
for a visit (访客预约), a walk-in waits at the guard post (门岗待确认), an invited visitor completed
their details (访客已登记), the visitor arrived (访客已到达) or stays past the window (超时未离开).
The message is read from the visit when it is sent, so it tells how the visit stands then; a
visit with nothing left to tell (refused, revoked, purged) is not sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.access.models import Visit, VisitSource, VisitState
from backend.access.service.personal import mask_name
from backend.core.timeutil import BUSINESS_TZ
from backend.notices import service as notices

VISIT_NOTICE = "access.visit"


async def tell_host(conn: Any, visit: Visit, at: datetime) -> None:
    """Queue the notice about `visit` to its host, in the caller's transaction."""
    await notices.queue(conn, VISIT_NOTICE, visit.host_id, visit.id, at)


def _what(visit: Visit) -> tuple[str, str, datetime] | None:
    """(state word ≤ 5 characters, note, moment) for the visit as it stands."""
    if visit.state == VisitState.AWAITING_HOST and visit.source == VisitSource.WALK_IN:
        return "门岗待确认", "访客在门岗等候，请确认是否接待", visit.created_at
    if visit.state == VisitState.AWAITING_HOST:
        return "访客预约", "访客申请来访，请在小程序中处理", visit.created_at
    if visit.state == VisitState.INSIDE and visit.overstay_alerted_at is not None:
        return "超时未离开", "访客已超过来访时间仍在楼内", visit.overstay_alerted_at
    if visit.state == VisitState.INSIDE and visit.entered_at is not None:
        return "访客已到达", "访客已通过门禁进入", visit.entered_at
    if visit.state == VisitState.READY and visit.source == VisitSource.INVITED:
        return "访客已登记", "访客已完成实名登记，通行码已发放", visit.updated_at
    return None


async def render_visit(visit_id: int) -> notices.Message | None:
    visit = await Visit.get_or_none(id=visit_id)
    if visit is None or visit.purged_at is not None:
        return None
    what = _what(visit)
    if what is None:
        return None
    state, note, moment = what
    visitor = mask_name(visit.visitor_name)
    if visit.company:
        visitor = f"{visitor}（{visit.company}）"
    # Keys fixed by the template (see the README on WECHAT_ACCESS_TEMPLATE_ID), cut to WeChat's
    # limits (thing ≤ 20 characters, phrase ≤ 5).
    data = {
        "character_string1": visit.code,
        "thing2": visitor[:20],
        "phrase3": state[:5],
        "time4": moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "thing5": note[:20],
    }
    return notices.Message(data, f"pages/access/visit?id={visit.id}")
