"""STAND-IN for helper D's alerts (dropped at merge): one alert per dedupe key."""

from __future__ import annotations

from tortoise import connections

from backend.core import sql
from backend.core.timeutil import now
from backend.energy.models import Alert, AlertKind


async def raise_alert(
    kind: AlertKind, message: str, dedupe_key: str, unit_id=None, meter_id=None, budget_id=None, conn=None
) -> bool:
    conn = conn or connections.get("default")
    values = sql.db_values(
        Alert,
        kind=kind,
        message=message[:300],
        dedupe_key=dedupe_key,
        unit_id=unit_id,
        meter_id=meter_id,
        budget_id=budget_id,
        created_at=sql.python_value(Alert, "created_at", now()),
    )
    inserted = await sql.rows(
        conn,
        "INSERT INTO energy_alert (kind, message, dedupe_key, unit_id, meter_id, budget_id, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        *values,
    )
    return bool(inserted)
