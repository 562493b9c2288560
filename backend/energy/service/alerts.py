"""STAND-IN (helper budgets writes the real file): alerts raised once and acknowledged."""

from __future__ import annotations

from datetime import date

from tortoise.exceptions import IntegrityError

from backend.accounts.service import people
from backend.core.audit import Actor
from backend.core.timeutil import now
from backend.energy.errors import EnergyError
from backend.energy.models import Alert, AlertKind


async def raise_alert(
    kind: AlertKind, message: str, dedupe_key: str, unit_id=None, meter_id=None, budget_id=None, conn=None
) -> bool:
    try:
        await Alert.create(
            kind=kind,
            message=message,
            dedupe_key=dedupe_key,
            unit_id=unit_id,
            meter_id=meter_id,
            budget_id=budget_id,
            using_db=conn,
        )
    except IntegrityError:
        return False
    return True


def _view(alert: Alert, units: dict) -> dict:
    return {
        "id": alert.id,
        "kind": alert.kind.value,
        "kind_label": alert.kind.label,
        "unit_id": alert.unit_id,
        "unit_name": units[alert.unit_id].name if alert.unit_id in units else "",
        "meter_id": alert.meter_id,
        "meter_code": alert.meter.code if alert.meter else "",
        "budget_id": alert.budget_id,
        "message": alert.message,
        "created_at": alert.created_at,
        "acknowledged_at": alert.acknowledged_at,
        "acknowledged_by": alert.acknowledged_by.username if alert.acknowledged_by else "",
    }


async def alerts(scope_unit_ids, unacknowledged_only: bool, limit: int = 200) -> list[dict]:
    query = Alert.all().select_related("meter", "acknowledged_by").order_by("-created_at", "-id")
    if scope_unit_ids is not None:
        query = query.filter(unit_id__in=scope_unit_ids)
    if unacknowledged_only:
        query = query.filter(acknowledged_at__isnull=True)
    rows = await query.limit(limit)
    units = await people.units_by_id({a.unit_id for a in rows if a.unit_id})
    return [_view(a, units) for a in rows]


async def acknowledge(actor: Actor, alert_id: int) -> dict:
    alert = await Alert.get_or_none(id=alert_id).select_related("meter", "acknowledged_by")
    if alert is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    if alert.acknowledged_at is None:
        alert.acknowledged_at, alert.acknowledged_by_id = now(), actor.admin_id
        await alert.save()
        await alert.fetch_related("acknowledged_by")
    return _view(alert, await people.units_by_id([alert.unit_id] if alert.unit_id else []))


async def units_over(month: date, percent: int, scope_unit_ids) -> list[dict]:
    from backend.energy.service import budgets

    return [row for row in await budgets.budget_status(month, scope_unit_ids) if row["percent"] >= percent]
