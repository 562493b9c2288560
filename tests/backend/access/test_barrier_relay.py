"""The vehicle gate's barrier relay against pymodbus's own server as the relay board: a plate
event lifts the barrier (coil on, then off), an unreachable board is a status on the gate while
the camera still gets its answer, and one relay is kept per gate."""

import asyncio
import time

from backend.access.models import Gate
from backend.access.service import barrier
from hardware.plate_camera import PlateCamera
from hardware.relay import ModbusGateRelay
from tests.fixtures.access import CAMERA_SECRET
from tests.fixtures.access_c import official_car
from tests.helpers.environment import free_port


async def test_plate_event_until_the_barrier_coil_is_on(app, car_world, relay_board):
    uri = f"modbus+tcp://127.0.0.1:{relay_board}?coil=2&pulse_ms=400"
    await Gate.filter(id=car_world.car_gate.id).update(relay_uri=uri)
    await official_car("浙A12345")
    # A second client on the board watches the barrier's coil, as an electrician's meter would.
    watcher = ModbusGateRelay("127.0.0.1", relay_board, coil=2)
    try:
        started = time.monotonic()
        push = asyncio.create_task(PlateCamera(app.ctx.base_url, "V-A-IN", CAMERA_SECRET).push("浙A12345"))
        while not (await watcher.read_coil()).value:
            assert time.monotonic() - started < 3, "the barrier coil never came on"
            await asyncio.sleep(0.005)
        assert (await push).json()["allowed"] is True
        await barrier.settle()
        assert (await watcher.read_coil()).value is False
        gate = await Gate.get(id=car_world.car_gate.id)
        assert (gate.relay_state, gate.relay_checked_at is not None) == ("ok", True)
    finally:
        await watcher.close()


async def test_unreachable_relay_is_a_status_and_the_camera_still_gets_its_answer(app, car_world):
    await Gate.filter(id=car_world.car_gate.id).update(relay_uri=f"modbus+tcp://127.0.0.1:{free_port()}?timeout=0.3")
    await official_car("浙A12345")
    response = await PlateCamera(app.ctx.base_url, "V-A-IN", CAMERA_SECRET).push("浙A12345")
    assert response.status_code == 200 and response.json()["allowed"] is True
    gate = await Gate.get(id=car_world.car_gate.id)
    assert gate.relay_state == "disconnected" and "cannot connect" in gate.relay_message


async def test_gate_without_relay_or_with_a_bad_uri_reports_it(car_world):
    await Gate.filter(id=car_world.car_gate.id).update(relay_uri="")
    assert (await barrier.pulse(car_world.car_gate.id)).state.value == "error"
    await Gate.filter(id=car_world.car_gate.id).update(relay_uri="modbus+tcp://h?colour=red")
    status = await barrier.check(car_world.car_gate.id)
    assert status.state.value == "error" and "colour" in (await Gate.get(id=car_world.car_gate.id)).relay_message


async def test_one_relay_per_gate_until_its_uri_changes(car_world):
    await barrier.pulse(car_world.car_gate.id)
    kept = barrier.relay_of(car_world.car_gate.id)
    await barrier.pulse(car_world.car_gate.id)
    assert barrier.relay_of(car_world.car_gate.id) is kept
    await Gate.filter(id=car_world.car_gate.id).update(relay_uri="sim?pulse_ms=10")
    await barrier.pulse(car_world.car_gate.id)
    await barrier.settle()
    assert barrier.relay_of(car_world.car_gate.id) is not kept
    assert kept.openings == 2
