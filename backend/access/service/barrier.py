"""Stand-in (helper A) for C's barrier: check reads the gate's relay status and keeps it on the gate."""

from __future__ import annotations

from backend.access.models import Gate
from backend.core.timeutil import now
from hardware.status import DeviceState, DeviceStatus
from hardware.uri import gate_relay_from_uri


async def check(gate_id: int) -> DeviceStatus:
    gate = await Gate.get(id=gate_id)
    if not gate.relay_uri:
        status = DeviceStatus(DeviceState.DISCONNECTED, "未设置继电器")
    else:
        relay = gate_relay_from_uri(gate.relay_uri)
        status = await relay.status()
        await relay.close()
    await Gate.filter(id=gate_id).update(
        relay_state=status.state.value, relay_message=status.message, relay_checked_at=now()
    )
    return status
