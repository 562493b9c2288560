"""Plates no rule let in, waiting on the guard's page: the guard opens the barrier by hand (booked as
the guard's entry and audited) or sends the car away. Plates are shown masked only."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import EventSource, Gate, PlateAlert, PlateAlertState, SubjectKind
from backend.access.service import barrier, events
from backend.core import audit
from backend.core.audit import Actor
from backend.core.errors import message_of

# An alert older than this is not opened by hand: the car has likely gone, or must be seen afresh
# (its next camera event brings the alert back with a new time).
OPEN_WITHIN = timedelta(minutes=30)


def alert_view(alert: PlateAlert, gate_name: str = "") -> dict:
    return {
        "id": alert.id,
        "gate_id": alert.gate_id,
        "gate_name": gate_name,
        "plate_masked": alert.plate_masked,
        "reason": alert.reason,
        "reason_text": message_of(alert.reason),
        "state": alert.state.value,
        "state_label": alert.state.label,
        "seen_at": alert.seen_at.isoformat(),
        "handled_at": alert.handled_at.isoformat() if alert.handled_at else None,
    }


def _audited(alert: PlateAlert) -> dict:
    return {"plate_masked": alert.plate_masked, "state": alert.state.value, "state_label": alert.state.label}


async def waiting() -> list[dict]:
    alerts = await PlateAlert.filter(state=PlateAlertState.WAITING).order_by("-seen_at")
    names = dict(await Gate.filter(id__in={a.gate_id for a in alerts}).values_list("id", "name"))
    return [alert_view(a, names.get(a.gate_id, "")) for a in alerts]


async def _handle(conn, actor: Actor, alert_id: int, state: PlateAlertState, at: datetime) -> tuple[PlateAlert, dict]:
    alert = (
        await PlateAlert.filter(id=alert_id, state=PlateAlertState.WAITING).using_db(conn).select_for_update().first()
    )
    if alert is None:
        raise AccessError.ALERT_NOT_FOUND.error()
    before = _audited(alert)
    alert.state, alert.handled_by_id, alert.handled_at = state, actor.admin_id, at
    await alert.save(using_db=conn, update_fields=["state", "handled_by_id", "handled_at"])
    return alert, before


async def open_manually(actor: Actor, alert_id: int, at: datetime) -> dict:
    """The guard lets the car in: the entry is booked as the guard's, then the barrier lifted; the
    view carries the relay's state so the page can say when the barrier did not answer."""
    async with in_transaction() as conn:
        alert, before = await _handle(conn, actor, alert_id, PlateAlertState.OPENED, at)
        gate = await Gate.get(id=alert.gate_id).using_db(conn)
        if not gate.is_active:
            raise AccessError.GATE_INACTIVE.error()
        if at - alert.seen_at > OPEN_WITHIN:
            raise AccessError.ALERT_STALE.error(minutes=int(OPEN_WITHIN.total_seconds()) // 60)
        await events.record(
            conn,
            gate_id=gate.id,
            event_no=f"GUARD-ALERT-{alert.id}",
            at=at,
            direction=gate.direction,
            subject=SubjectKind.UNKNOWN_PLATE,
            allowed=True,
            reason="",
            source=EventSource.GUARD,
            plate_index=alert.plate_index,
            plate_masked=alert.plate_masked,
            detail={"alert_id": alert.id, "admin": actor.name},
        )
        await audit.record(conn, actor, "access.open_barrier", "plate_alert", alert.id, before, _audited(alert))
    status = await barrier.pulse(gate.id)
    return {
        **alert_view(alert, gate.name),
        "relay_state": status.state.value,
        "relay_ok": status.usable,
        "relay_message": status.message,
    }


async def dismiss(actor: Actor, alert_id: int, at: datetime) -> dict:
    async with in_transaction() as conn:
        alert, before = await _handle(conn, actor, alert_id, PlateAlertState.DISMISSED, at)
        await audit.record(conn, actor, "access.dismiss_plate_alert", "plate_alert", alert.id, before, _audited(alert))
    gate_name = (await Gate.get(id=alert.gate_id)).name
    return alert_view(alert, gate_name)
