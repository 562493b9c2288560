"""STAND-IN for helper D's alerts (dropped at merge): raise_alert with the design's signature,
once per dedupe_key."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from backend.core import sql
from backend.core.timeutil import now
from backend.energy.models import AlertKind


async def raise_alert(
    kind: AlertKind,
    message: str,
    dedupe_key: str,
    unit_id: int | None = None,
    meter_id: int | None = None,
    budget_id: int | None = None,
    conn: Any = None,
) -> bool:
    conn = conn or connections.get("default")
    created = await sql.rows(
        conn,
        "INSERT INTO energy_alert (kind, unit_id, meter_id, budget_id, message, dedupe_key, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        kind.value,
        unit_id,
        meter_id,
        budget_id,
        message[:300],
        dedupe_key[:100],
        now(),
    )
    return bool(created)
