"""A signed camera push without an event id, captured and replayed after Redis lost the record of
its signature (a flush, a restart, a failover), is refused: the barrier is not lifted twice."""

import json
import logging

from backend.access.models import AccessEvent, Gate
from backend.access.service import barrier
from hardware.plate_camera import PlateCamera, sign
from tests.fixtures.access import CAMERA_SECRET
from tests.fixtures.access_c import official_car


async def test_a_signed_push_replayed_after_redis_lost_its_data_is_refused(app, car_world, runtime, caplog):
    await official_car("浙A12345")
    await Gate.filter(id=car_world.car_gate.id).update(camera_addresses=["192.0.2.0/24"])
    caplog.set_level(logging.WARNING, logger="backend.access.protocols")
    body = json.dumps({"plate": "浙A12345"}).encode()
    captured = sign(CAMERA_SECRET, body)
    camera = PlateCamera(app.ctx.base_url, "V-A-IN", None)
    assert (await camera.push_body(body, isapi=False, headers=captured)).json()["allowed"] is True
    await runtime.redis.flushdb()
    again = await camera.push_body(body, isapi=False, headers=captured)
    await barrier.settle()
    assert (again.status_code, again.json()["error"]["code"]) == (403, "access.camera_refused")
    assert "replay epoch" in caplog.text and "12345" not in caplog.text
    assert barrier.relay_of(car_world.car_gate.id).openings == 1
    assert await AccessEvent.filter(allowed=True).count() == 1
