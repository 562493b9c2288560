"""Vehicle gates' barriers: the backend pulses a gate's barrier relay (its `relay_uri`) when a plate
is let in, and keeps what the relay said on the gate for the console.

One relay object per gate and process, so the Modbus connection is kept between cars. The pulse
runs on while the caller gets its answer once the coil has been read back on: a car waits for the
barrier to lift, not for it to be told to stop lifting. A relay that is missing, misconfigured or
unreachable is a DeviceStatus recorded on the gate, never an exception to the caller."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from backend.access.models import Gate
from backend.core.timeutil import now
from hardware.relay import GateRelay
from hardware.status import DeviceState, DeviceStatus
from hardware.uri import gate_relay_from_uri

log = logging.getLogger(__name__)

NO_RELAY = DeviceStatus(DeviceState.ERROR, "no barrier relay configured")
_POLL_SECONDS = 0.005

# gate id → (the relay URI it was made from, the relay): a changed URI makes a new relay.
_relays: dict[int, tuple[str, GateRelay]] = {}
# Pulses still under way (their coil is switched off by them), held so they are not collected.
_pulses: set[asyncio.Task] = set()


def _relay(gate: Gate) -> GateRelay | DeviceStatus:
    uri = gate.relay_uri.strip()
    if not uri:
        return NO_RELAY
    known = _relays.get(gate.id)
    if known is not None and known[0] == uri:
        return known[1]
    try:
        relay = gate_relay_from_uri(uri)
    except ValueError as exc:
        return DeviceStatus(DeviceState.ERROR, f"relay URI: {exc}")
    if known is not None:
        _spawn(known[1].close())
    _relays[gate.id] = (uri, relay)
    return relay


def relay_of(gate_id: int) -> GateRelay | None:
    """The relay this process keeps for the gate (None before its first use): tests and the bench
    read its coil."""
    known = _relays.get(gate_id)
    return None if known is None else known[1]


def _spawn(coroutine) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coroutine)
    _pulses.add(task)
    task.add_done_callback(_pulses.discard)
    return task


async def _record(gate_id: int, status: DeviceStatus) -> None:
    await Gate.filter(id=gate_id).update(
        relay_state=status.state.value, relay_message=status.message[:300], relay_checked_at=now()
    )
    if not status.usable:
        log.warning("barrier relay of gate %s: %s %s", gate_id, status.state.value, status.message)


async def _coil_on(relay: GateRelay, opening: asyncio.Task) -> DeviceStatus:
    """Read the coil back until it is on (the barrier lifts), the relay fails, or the pulse ends."""
    while True:
        reading = await relay.read_coil()
        if not reading.status.usable:
            return reading.status
        if reading.value:
            return reading.status
        if opening.done():
            return opening.result()
        await asyncio.sleep(_POLL_SECONDS)


async def _finish(gate_id: int, opening: asyncio.Task) -> None:
    status = await opening
    if not status.usable:
        # The switch-off failed after the caller was answered: the console must show it.
        await _record(gate_id, status)


async def pulse(gate_id: int) -> DeviceStatus:
    """Lift the gate's barrier: the pulse is started, the coil read back on, and the relay's state
    recorded on the gate."""
    gate = await Gate.get(id=gate_id)
    relay = _relay(gate)
    if isinstance(relay, DeviceStatus):
        await _record(gate_id, relay)
        return relay
    # A first read connects and tells an unreachable board before anything is switched.
    status = await relay.status()
    if status.usable:
        opening = _spawn(relay.open_gate())
        status = await _coil_on(relay, opening)
        _spawn(_finish(gate_id, opening))
    await _record(gate_id, status)
    return status


async def check(gate_id: int) -> DeviceStatus:
    """Read the gate's relay (its coil) and record whether it answers."""
    gate = await Gate.get(id=gate_id)
    relay = _relay(gate)
    status = relay if isinstance(relay, DeviceStatus) else await relay.status()
    await _record(gate_id, status)
    return status


async def settle() -> None:
    """Wait for the pulses under way to end (their coils switched off): at shutdown and in tests."""
    while _pulses:
        await asyncio.gather(*_pulses, return_exceptions=True)


def forget_relays() -> None:
    """Drop the relays this process keeps (the tests empty the gates between tests)."""
    for _, relay in _relays.values():
        with suppress(RuntimeError):
            _spawn(relay.close())
    _relays.clear()
