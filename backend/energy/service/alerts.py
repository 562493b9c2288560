"""Energy alerts (告警): what the console shows and a unit's energy contacts are told, from any
part of energy (a budget 80 % used or used up, a cut or a restore, a switch that did not confirm or
was refused, a reading held for review, a silent meter).

Each alert is raised once per `dedupe_key` (the key is unique and the insert does nothing when it
exists), so a job that raises the same alert on every run raises it once. An alert the contacts
are told of queues their WeChat notices in the same transaction (see `notices`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import admins, people
from backend.core import sql
from backend.core.audit import Actor, record
from backend.core.timeutil import now
from backend.energy.errors import EnergyError
from backend.energy.models import Alert, AlertKind, Budget, Meter
from backend.energy.service import notices


async def raise_alert(
    kind: AlertKind,
    message: str,
    dedupe_key: str,
    unit_id: int | None = None,
    meter_id: int | None = None,
    budget_id: int | None = None,
    conn: Any = None,
) -> bool:
    """Raise the alert unless one with `dedupe_key` exists; whether it is new. Written on `conn`
    (the caller's transaction) when given. An alert about a meter without a unit named is filed
    under the meter's unit, so a unit-scoped admin sees it."""
    if conn is None:
        async with in_transaction() as own:
            return await raise_alert(kind, message, dedupe_key, unit_id, meter_id, budget_id, own)
    if unit_id is None and meter_id is not None:
        found = await Meter.filter(id=meter_id).using_db(conn).values_list("unit_id", flat=True)
        unit_id = found[0] if found else None
    at = now()
    values = sql.db_values(
        Alert,
        kind=kind,
        unit_id=unit_id,
        meter_id=meter_id,
        budget_id=budget_id,
        message=message[:300],
        dedupe_key=dedupe_key[:100],
        created_at=at,
    )
    inserted = await sql.rows(
        conn,
        "INSERT INTO energy_alert (kind, unit_id, meter_id, budget_id, message, dedupe_key, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        *values,
    )
    if not inserted:
        return False
    await notices.tell_contacts(conn, inserted[0]["id"], kind, unit_id, at)
    return True


async def _views(found: list[Alert]) -> list[dict]:
    units = await people.units_by_id(a.unit_id for a in found if a.unit_id)
    meter_ids = {a.meter_id for a in found if a.meter_id}
    meters = dict(await Meter.filter(id__in=meter_ids).values_list("id", "code")) if meter_ids else {}
    admin_names = (
        {a["id"]: a["display_name"] for a in await admins.list_admins()}
        if any(a.acknowledged_by_id for a in found)
        else {}
    )
    return [
        {
            "id": a.id,
            "kind": a.kind.value,
            "kind_label": a.kind.label,
            "unit_id": a.unit_id,
            "unit_name": units[a.unit_id].name if a.unit_id in units else "",
            "meter_id": a.meter_id,
            "meter_code": meters.get(a.meter_id, ""),
            "budget_id": a.budget_id,
            "message": a.message,
            "created_at": a.created_at.isoformat(),
            "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
            "acknowledged_by": admin_names.get(a.acknowledged_by_id, "") if a.acknowledged_at else "",
        }
        for a in found
    ]


async def alerts(scope_unit_ids: list[int] | None, unacknowledged_only: bool, limit: int = 200) -> list[dict]:
    """The newest alerts first, of the units in scope (None: all, alerts about no unit included)."""
    query = Alert.all()
    if scope_unit_ids is not None:
        query = query.filter(unit_id__in=scope_unit_ids)
    if unacknowledged_only:
        query = query.filter(acknowledged_at__isnull=True)
    return await _views(await query.order_by("-id").limit(max(1, min(limit, 1000))))


async def alerts_of_budget(budget_id: int) -> list[dict]:
    """A budget's alerts, oldest first (for its detail page)."""
    return await _views(await Alert.filter(budget_id=budget_id).order_by("id"))


async def acknowledge(actor: Actor, alert_id: int) -> dict:
    """Mark the alert seen by `actor` (audited); an alert already acknowledged stays as it was."""
    async with in_transaction() as conn:
        alert = await Alert.filter(id=alert_id).using_db(conn).select_for_update().first()
        if alert is None:
            raise EnergyError.ALERT_NOT_FOUND.error()
        if alert.acknowledged_at is None:
            changed = (
                await Alert.filter(id=alert_id, acknowledged_at__isnull=True)
                .using_db(conn)
                .update(acknowledged_at=now(), acknowledged_by_id=actor.admin_id)
            )
            if changed:
                await record(
                    conn,
                    actor,
                    "energy.acknowledge_alert",
                    "energy_alert",
                    alert_id,
                    {"acknowledged": False},
                    {"acknowledged": True, "message": alert.message},
                )
            await alert.refresh_from_db(using_db=conn)
    (view,) = await _views([alert])
    return view


async def units_over(month: date, percent: int, scope_unit_ids: list[int] | None) -> list[dict]:
    """The budgets of `month` used `percent` % or more, most used first (the dashboard card, at 80),
    each as `budgets.budget_status` shows a budget. A budget of 0 is not managed and never listed.

    Read from the budgets alone, whose use the evaluation after each collection (and every five
    minutes) keeps current, so the console's home page costs one query (and one for the names)."""
    from backend.energy.service import budgets  # budgets raises alerts: imported when used

    query = Budget.filter(month=month, used_milli__gt=0)
    if scope_unit_ids is not None:
        query = query.filter(unit_id__in=scope_unit_ids)
    over = [b for b in await query if (amount := budgets.amount_of(b)) > 0 and b.used_milli * 100 >= percent * amount]
    units = await people.units_by_id(b.unit_id for b in over)
    rows = [budgets._view(b, b.used_milli, units[b.unit_id].name if b.unit_id in units else "") for b in over]
    return sorted(rows, key=lambda r: (-r["percent"], r["unit_name"], r["kind"]))
