"""The guard's waiting plates: open by hand (booked as the guard's entry, audited, barrier lifted)
or dismiss (audited), each once."""

from datetime import datetime, timedelta

import pytest

from backend.access.config import AccessSettings
from backend.access.models import AccessEvent, EventSource, Gate, PlateAlertState
from backend.access.service import barrier, plate_alerts, plates
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ

GUARD = Actor(admin_id=None, name="门岗王")
AT = datetime(2026, 5, 6, 12, 0, tzinfo=BUSINESS_TZ)


async def _unknown_car(runtime, world, event_id: str = "e1") -> dict:
    event_no = plates.camera_event_no(world.car_gate.code, event_id)
    await plates.decide_plate(
        runtime.cipher, AccessSettings(), world.car_gate.id, "苏E99999", event_no, AT, source_detail={}
    )
    (alert,) = await plate_alerts.waiting()
    return alert


async def test_guard_opens_a_waiting_plate_audited_and_the_barrier_lifts(car_world, runtime):
    alert = await _unknown_car(runtime, car_world)
    assert (alert["plate_masked"], alert["reason_text"], alert["gate_name"]) == (
        "苏E***99",
        "未登记车辆，请等候门岗处理",
        "A座车库入口",
    )
    opened = await plate_alerts.open_manually(GUARD, alert["id"], AT)
    await barrier.settle()
    assert (opened["state"], opened["relay_ok"]) == (PlateAlertState.OPENED.value, True)
    assert barrier.relay_of(car_world.car_gate.id).openings == 1
    event = await AccessEvent.get(source=EventSource.GUARD)
    assert (event.allowed, event.plate_masked, event.detail["admin"]) == (True, "苏E***99", "门岗王")
    entry = await AuditEntry.get(action="access.open_barrier")
    assert (entry.object_id, entry.after["state"]) == (str(alert["id"]), "opened")
    assert "99999" not in str(entry.after)
    assert await plate_alerts.waiting() == []
    with pytest.raises(AppError) as handled:
        await plate_alerts.open_manually(GUARD, alert["id"], AT)
    assert handled.value.code == "access.alert_not_found"


async def test_guard_dismisses_a_waiting_plate_audited_without_lifting(car_world, runtime):
    alert = await _unknown_car(runtime, car_world)
    dismissed = await plate_alerts.dismiss(GUARD, alert["id"], AT)
    await barrier.settle()
    assert dismissed["state"] == "dismissed"
    assert barrier.relay_of(car_world.car_gate.id) is None
    assert await AuditEntry.filter(action="access.dismiss_plate_alert").count() == 1


async def test_an_alert_is_not_opened_at_an_inactive_gate_nor_once_stale(car_world, runtime):
    alert = await _unknown_car(runtime, car_world)
    await Gate.filter(id=car_world.car_gate.id).update(is_active=False)
    with pytest.raises(AppError) as inactive:
        await plate_alerts.open_manually(GUARD, alert["id"], AT)
    assert inactive.value.code == "access.gate_inactive"
    await Gate.filter(id=car_world.car_gate.id).update(is_active=True)
    with pytest.raises(AppError) as stale:
        await plate_alerts.open_manually(GUARD, alert["id"], AT + timedelta(minutes=31))
    assert stale.value.code == "access.alert_stale" and "30 分钟" in stale.value.message
    await barrier.settle()
    assert barrier.relay_of(car_world.car_gate.id) is None
    assert not await AccessEvent.filter(source=EventSource.GUARD).exists()
    # The car seen again by the camera: the alert is current and can be opened.
    later = AT + timedelta(minutes=31)
    event_no = plates.camera_event_no(car_world.car_gate.code, "e3")
    await plates.decide_plate(
        runtime.cipher, AccessSettings(), car_world.car_gate.id, "苏E99999", event_no, later, source_detail={}
    )
    opened = await plate_alerts.open_manually(GUARD, alert["id"], later)
    await barrier.settle()
    assert opened["state"] == PlateAlertState.OPENED.value
