"""What the repairs module tells through WeChat subscribe messages (sent by backend.notices):
the reporter, at each step of their report that matters (`Step.notifies_reporter`), and a
team's dispatcher, of a report that ran late. Both use the template repairs.progress
(WECHAT_REPAIR_TEMPLATE_ID), about a step of the report's timeline; the message is read from
the report when it is sent."""

from __future__ import annotations

from typing import Any

from backend.notices import service as notices
from backend.repairs.models import RepairEvent, RepairReport
from backend.repairs.service.workflow import ACTION_LABELS

TEMPLATE = "repairs.progress"


async def queue(conn: Any, report: RepairReport, event: RepairEvent, person_id: int | None = None) -> None:
    """A notice of `event` to the reporter, or to `person_id` (a team's dispatcher)."""
    await notices.queue(conn, TEMPLATE, person_id or report.reporter_id, event.id, event.at)


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


async def render(event_id: int) -> notices.Message | None:
    """The message about a step of a report's timeline, as the report stands now."""
    event = await RepairEvent.get_or_none(id=event_id).select_related("report")
    if event is None:
        return None
    return notices.Message(message(event.report, event), f"pages/repairs/detail?id={event.report.id}")
