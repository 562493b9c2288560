"""Stand-in (helper G) for C's plate alerts, with the design's signatures; C's file wins."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import PlateAlert, PlateAlertState
from backend.core.audit import Actor, record


def _view(alert: PlateAlert) -> dict:
    return {
        "id": alert.id,
        "gate": alert.gate.name,
        "plate": alert.plate_masked,
        "reason": alert.reason,
        "seen_at": alert.seen_at,
        "state": alert.state.value,
    }


async def waiting() -> list[dict]:
    alerts = PlateAlert.filter(state=PlateAlertState.WAITING).select_related("gate").order_by("seen_at")
    return [_view(a) for a in await alerts]


async def _handle(actor: Actor, alert_id: int, at: datetime, state: PlateAlertState, action: str) -> dict:
    async with in_transaction() as conn:
        alert = await PlateAlert.select_for_update().using_db(conn).get_or_none(id=alert_id)
        if alert is None or alert.state is not PlateAlertState.WAITING:
            raise AccessError.ALERT_NOT_FOUND.error()
        alert.state, alert.handled_by_id, alert.handled_at = state, actor.admin_id, at
        await alert.save(using_db=conn)
        await record(conn, actor, action, "plate_alert", alert.id, after={"state": state.value})
    await alert.fetch_related("gate")
    return _view(alert)


async def open_manually(actor: Actor, alert_id: int, at: datetime) -> dict:
    return await _handle(actor, alert_id, at, PlateAlertState.OPENED, "access.open_barrier")


async def dismiss(actor: Actor, alert_id: int, at: datetime) -> dict:
    return await _handle(actor, alert_id, at, PlateAlertState.DISMISSED, "access.dismiss_plate_alert")
