"""STAND-IN for helper C's switching (only request, with the design's signature): one command per
decision key, a cut of a safety circuit recorded as refused."""

from __future__ import annotations

from typing import Any

from backend.core import sql
from backend.core.timeutil import now
from backend.energy.models import Meter, SwitchAction, SwitchCommand, SwitchReason, SwitchState


async def request(
    conn: Any,
    meter_id: int,
    action: SwitchAction,
    reason: SwitchReason,
    decision_key: str,
    budget_id: int | None = None,
    actor: Any = None,
    note: str = "",
) -> bool:
    meter = await Meter.get(id=meter_id).using_db(conn)
    refused = action == SwitchAction.CUT and meter.is_safety
    state = SwitchState.REFUSED if refused else SwitchState.PENDING
    values = sql.db_values(
        SwitchCommand,
        meter_id=meter_id,
        budget_id=budget_id,
        action=action,
        reason=reason,
        state=state,
        decision_key=decision_key,
        requested_by_id=actor.admin_id if actor else None,
        note=note,
        created_at=now(),
    )
    inserted = await sql.rows(
        conn,
        "INSERT INTO energy_switch_command (meter_id, budget_id, action, reason, state, decision_key, attempts, "
        "last_error, requested_by_id, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, '', $7, $8, $9) "
        "ON CONFLICT (decision_key) DO NOTHING RETURNING id",
        *values,
    )
    return bool(inserted) and not refused
