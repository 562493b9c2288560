"""STAND-IN (helper collect writes the real file): the cut-off and restore commands."""

from __future__ import annotations

from backend.accounts.service import people
from backend.energy.models import SwitchCommand


async def commands(scope_unit_ids: list[int] | None, limit: int = 200) -> list[dict]:
    query = SwitchCommand.all().select_related("meter", "requested_by").order_by("-created_at", "-id")
    if scope_unit_ids is not None:
        query = query.filter(meter__unit_id__in=scope_unit_ids)
    rows = await query.limit(limit)
    units = await people.units_by_id({c.meter.unit_id for c in rows if c.meter.unit_id})
    return [
        {
            "id": c.id,
            "meter_id": c.meter_id,
            "meter_code": c.meter.code,
            "meter_name": c.meter.name,
            "unit_name": units[c.meter.unit_id].name if c.meter.unit_id in units else "",
            "budget_id": c.budget_id,
            "action": c.action.value,
            "action_label": c.action.label,
            "reason": c.reason.value,
            "reason_label": c.reason.label,
            "state": c.state.value,
            "state_label": c.state.label,
            "attempts": c.attempts,
            "last_error": c.last_error,
            "requested_by": c.requested_by.username if c.requested_by else "",
            "note": c.note,
            "created_at": c.created_at,
            "sent_at": c.sent_at,
            "settled_at": c.settled_at,
        }
        for c in rows
    ]
