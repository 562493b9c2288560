"""The scheduled job that marks silent devices offline has the effect of once."""

from datetime import timedelta

from backend.accounts.jobs import mark_offline_devices
from backend.accounts.models import Device, DeviceKind
from backend.core.timeutil import now


async def test_silent_device_is_marked_offline_since_its_last_heartbeat(app):
    seen = now() - timedelta(minutes=10)
    await Device.create(code="T-1", name="a", kind=DeviceKind.KIOSK, secret_encrypted="x", last_seen_at=seen)
    await Device.create(code="T-2", name="b", kind=DeviceKind.KIOSK, secret_encrypted="x", last_seen_at=now())
    assert await mark_offline_devices() == 1
    silent = await Device.get(code="T-1")
    assert silent.offline_since == silent.last_seen_at
    assert (await Device.get(code="T-2")).offline_since is None


async def test_running_the_job_twice_changes_nothing_more(app):
    seen = now() - timedelta(minutes=10)
    await Device.create(code="T-1", name="a", kind=DeviceKind.KIOSK, secret_encrypted="x", last_seen_at=seen)
    assert await mark_offline_devices() == 1
    first = (await Device.get(code="T-1")).offline_since
    assert await mark_offline_devices() == 0
    assert (await Device.get(code="T-1")).offline_since == first
