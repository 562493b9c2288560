"""Telling reporters how their report is going (a WeChat subscribe message per step that matters),
and dispatchers which of their team's reports ran late.

A notice is written in the same transaction as the step, then sent by a job every minute: a
failure is retried with a growing pause, up to MAX_ATTEMPTS; a refusal that cannot change
(the cadre never subscribed, no WeChat bound, nothing configured) is recorded and never retried.
Sending claims the notice first, so two job runs never send the same one twice at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from backend.core.wechat import MiniProgram, WeChatMessageRefused, WeChatUnavailable
from backend.repairs.models import NoticeState, RepairEvent, RepairNotice, RepairReport
from backend.repairs.service.workflow import ACTION_LABELS

MAX_ATTEMPTS = 5
CLAIM = timedelta(minutes=2)


async def queue(conn: Any, report: RepairReport, event: RepairEvent, person_id: int | None = None) -> None:
    """A notice of `event` to the reporter, or to `person_id` (a team's dispatcher)."""
    await RepairNotice.create(
        report_id=report.id,
        person_id=person_id or report.reporter_id,
        event_id=event.id,
        next_attempt_at=event.at,
        using_db=conn,
    )


def message(report: RepairReport, event: RepairEvent) -> dict[str, str]:
    """The template's fields (their keys are fixed: see the README on WECHAT_REPAIR_TEMPLATE_ID),
    cut to WeChat's limits (thing ≤ 20 characters, phrase ≤ 5)."""
    return {
        "character_string1": str(report.id),
        "thing2": report.description[:20],
        "phrase3": report.state.label[:5],
        "time4": event.at.strftime("%Y-%m-%d %H:%M"),
        "thing5": (event.note or ACTION_LABELS.get(event.action, ""))[:20] or "无",
    }


async def _finish(notice: RepairNotice, state: NoticeState, error: str = "", at: datetime | None = None) -> None:
    await RepairNotice.filter(id=notice.id).update(state=state, last_error=error[:200], sent_at=at)


async def send_due(wechat: MiniProgram, template_id: str, at: datetime, limit: int = 100) -> dict[str, int]:
    """Send the notices whose time has come; returns how many ended in each state this run."""
    counts = {"sent": 0, "refused": 0, "retry": 0, "failed": 0}
    due = await RepairNotice.filter(state=NoticeState.PENDING, next_attempt_at__lte=at).order_by("id").limit(limit)
    for notice in due:
        claimed = await RepairNotice.filter(id=notice.id, state=NoticeState.PENDING, attempts=notice.attempts).update(
            attempts=notice.attempts + 1, next_attempt_at=at + CLAIM
        )
        if not claimed:
            continue
        if not (wechat.configured and template_id):
            await _finish(notice, NoticeState.REFUSED, "未配置微信小程序或订阅消息模板")
            counts["refused"] += 1
            continue
        openid = (await notice.person).wechat_openid
        if not openid:
            await _finish(notice, NoticeState.REFUSED, "收件人未绑定微信")
            counts["refused"] += 1
            continue
        report = await RepairReport.get(id=notice.report_id)
        event = await RepairEvent.get(id=notice.event_id)
        try:
            await wechat.send_subscribe_message(
                openid, template_id, message(report, event), f"pages/repairs/detail?id={report.id}"
            )
        except WeChatMessageRefused as refusal:
            await _finish(notice, NoticeState.REFUSED, str(refusal))
            counts["refused"] += 1
        except WeChatUnavailable as failure:
            attempts = notice.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await _finish(notice, NoticeState.FAILED, str(failure))
                counts["failed"] += 1
            else:
                await RepairNotice.filter(id=notice.id).update(
                    last_error=str(failure)[:200], next_attempt_at=at + timedelta(minutes=2**attempts)
                )
                counts["retry"] += 1
        else:
            await _finish(notice, NoticeState.SENT, at=at)
            counts["sent"] += 1
    return counts
