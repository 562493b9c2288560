"""The notice an approver is sent when a step waits for them (template approvals.pending,
WECHAT_APPROVAL_TEMPLATE_ID): "待您审批：<what is asked>", opening the kind's mini-program page
on the approval; read from the approval when it is sent."""

from __future__ import annotations

from backend.approvals.models import Approval, ApprovalState
from backend.approvals.service import get, kinds
from backend.notices import service as notices


async def render(approval_id: int) -> notices.Message | None:
    """The message, or None once there is nothing left to decide (the approval was decided or
    withdrawn before the notice went out)."""
    if not await Approval.exists(id=approval_id, state=ApprovalState.PENDING):
        return None
    view = await get(approval_id)
    kind = kinds().get(view.kind)
    step = view.current_step
    if kind is None or step is None:
        return None
    # The template's fields are fixed (see the README on WECHAT_APPROVAL_TEMPLATE_ID), cut to
    # WeChat's limits (thing ≤ 20 characters, name ≤ 10).
    data = {
        "thing1": f"待您审批：{view.title}"[:20],
        "thing2": f"{kind.title}·{step.title}"[:20],
        "name3": view.requester["name"][:10],
        "time4": view.created_at.strftime("%Y-%m-%d %H:%M"),
    }
    return notices.Message(data, f"{kind.page}?id={view.id}")
