"""Benchmark of a gate opening (`make bench-gate`), against PostgreSQL and Redis.

What runs: `houqin serve` on a throwaway database; a gate terminal (kiosk.gate_agent.GateAgent, in
this process, simulated scanner) whose relay is a pymodbus server standing in for the relay
board; and a vehicle gate whose barrier relay (`Gate.relay_uri`
modbus+tcp://127.0.0.1:<port>) is another pymodbus server, pulsed by the backend.

What is measured, each BENCH_GATE_RUNS times (100) after a few unmeasured ones:
  online   a pass QR shown to the scanner until the gate coil is switched on (the online check
           `/device/v1/access/scan`, the journal, the pulse);
  offline  the same with the backend process stopped: the decision from the signature, the last
           sync and the terminal's journal;
  plate    a signed plate event pushed as a camera does (`/camera/v1/access/<gate>/plates`, HMAC
           over `<timestamp>\\n<body>` with the camera secret) until the barrier coil is on.
The time is taken in this process from the scan (or the push) to the Modbus write that switches
the coil on, as the relay board receives it. Prints:
    gate_pass: online_p99_ms=<n> offline_p99_ms=<n> plate_p99_ms=<n>
Targets: online ≤ 300 ms, offline ≤ 150 ms, plate ≤ 300 ms. A scan that is not let in, or a
plate event not answered allowed, fails the bench.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from bench.common import (
    HOUQIN,
    free_port,
    median_and_p99_ms,
    require_services,
    running_server,
    server_env,
    throwaway_database,
)
from hardware.plate_camera import PlateCamera

RUNS = int(os.environ.get("BENCH_GATE_RUNS", "100"))
WARM_UP = 5
COIL_WRITE = 5  # Modbus function code: write single coil
PLATE = "京A12345"
CAMERA_SECRET = "bench-camera-secret-0123456789"
PULSE_MS = 30


class RelayBoard:
    """A pymodbus server as the relay board, telling when its coil is switched on or off."""

    def __init__(self):
        self.port = free_port()
        self.switched_on: asyncio.Queue[float] = asyncio.Queue()
        self.switched_off = asyncio.Event()

    async def start(self) -> RelayBoard:
        bits = [SimData(0, count=16, values=False, datatype=DataType.BITS)]
        registers = [SimData(0, values=0, datatype=DataType.REGISTERS)]
        board = SimDevice(id=1, simdata=(bits, bits, registers, registers), action=self._record)
        self._server = ModbusTcpServer(board, address=("127.0.0.1", self.port))
        await self._server.serve_forever(background=True)
        return self

    async def _record(self, function_code, start_address, address, count, current_registers, set_values):
        if function_code == COIL_WRITE and set_values is not None:
            if set_values[0]:
                self.switched_on.put_nowait(time.perf_counter())
            else:
                self.switched_off.set()

    async def until_on(self, started: float) -> float:
        """Seconds from `started` to the coil switched on; then waits for the pulse to end."""
        on = await asyncio.wait_for(self.switched_on.get(), 10)
        await asyncio.wait_for(self.switched_off.wait(), 10)
        self.switched_off.clear()
        return on - started

    async def stop(self) -> None:
        await self._server.shutdown()


async def prepare(env: dict[str, str], barrier_port: int) -> tuple[str, str, str]:
    """A building with a pedestrian entry gate bound to a gate terminal, a visitor's pass for it
    (entries enough for the bench), and a vehicle gate with a camera secret whose barrier is the
    board at `barrier_port`, and a staff car approved all day. The terminal's code and secret,
    and the pass token."""
    from backend.access.models import (
        Direction,
        Gate,
        GateKind,
        PassKind,
        StaffVehicle,
        StaffVehicleState,
        UnitQuota,
        Visit,
        VisitPass,
        VisitSource,
        VisitState,
    )
    from backend.access.service import tokens
    from backend.accounts.models import DeviceKind, Person
    from backend.accounts.service import devices
    from backend.accounts.service import people as accounts
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.core.timeutil import now
    from backend.places import service as places
    from backend.runtime import close_runtime, open_runtime

    await asyncio.to_thread(_migrate, env)
    settings = Settings.from_env(env)
    runtime = await open_runtime(settings)
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        roster = "工号,姓名,单位编码,人员类别,手机号\nB00001,张伟,CITY,在编,13900000001\n"
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        host = await Person.get(employee_no="B00001")
        building = await places.create_place(CLI_ACTOR, "行政中心A座", None)
        _, secret = await devices.register_device(
            CLI_ACTOR, runtime.cipher, "GT-BENCH", "GT-BENCH", DeviceKind.GATE_CONTROLLER, ""
        )
        entry = await Gate.create(
            code="G-BENCH",
            name="A座东门进",
            kind=GateKind.PEDESTRIAN,
            direction=Direction.IN,
            building_id=building["id"],
            device_id=(await devices.device_by_code("GT-BENCH"))["id"],
        )
        await Gate.create(
            code="V-BENCH",
            name="A座车库入口",
            kind=GateKind.VEHICLE,
            direction=Direction.IN,
            building_id=building["id"],
            relay_uri=f"modbus+tcp://127.0.0.1:{barrier_port}?pulse_ms={PULSE_MS}",
            camera_secret_encrypted=runtime.cipher.encrypt(CAMERA_SECRET, context="access.camera_secret"),
        )
        await StaffVehicle.create(
            plate=PLATE, person_id=host.id, unit_id=host.unit_id, state=StaffVehicleState.APPROVED
        )
        await UnitQuota.create(unit_id=host.unit_id, monthly_entries=100_000)
        start, end = now() - timedelta(hours=1), now() + timedelta(hours=8)
        visit = await Visit.create(
            code="VBENCH",
            source=VisitSource.INVITED,
            state=VisitState.READY,
            host_id=host.id,
            host_unit_id=host.unit_id,
            visitor_name="李*",
            window_start=start,
            window_end=end,
            building_ids=[building["id"]],
        )
        entries = 10 * (RUNS + WARM_UP)
        held = await VisitPass.create(
            visit=visit, kind=PassKind.SLIP, gate_ids=[entry.id], valid_from=start, valid_until=end, max_entries=entries
        )
        claims = tokens.Claims(
            held.id,
            visit.code,
            (entry.id,),
            int(start.timestamp()),
            int(end.timestamp()),
            entries,
            "s",
            None,
            1,
            "李*",
            "张*",
        )
        return "GT-BENCH", secret, tokens.sign(settings.data_key, claims)
    finally:
        await close_runtime(runtime)


def _migrate(env: dict[str, str]) -> None:
    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)


async def scans(agent, board: RelayBoard, token: str, count: int) -> list[float]:
    """Seconds from each scan to the gate coil on."""
    from kiosk.gate_pass import Decision

    decisions: list[Decision] = []
    agent.on_decision = decisions.append
    taken = []
    for _ in range(count):
        started = time.perf_counter()
        agent.devices.scanner.tap(token)
        taken.append(await board.until_on(started))
    refused = [d for d in decisions if not d.allowed]
    if refused:
        raise SystemExit(f"gate_pass: {len(refused)} scans were refused ({refused[0].reason})")
    return taken


async def plates(backend_url: str, board: RelayBoard, count: int) -> list[float]:
    """Seconds from each signed plate push (hardware.plate_camera, as a camera pushes: a new
    connection each time) to the barrier coil on."""
    camera = PlateCamera(backend_url, "V-BENCH", CAMERA_SECRET)
    taken = []
    for _ in range(count):
        started = time.perf_counter()
        answer = await camera.push(PLATE)
        if answer.status_code != 200 or not answer.json().get("allowed"):
            raise SystemExit(f"gate_pass: the plate event was not let in: {answer.status_code} {answer.text}")
        taken.append(await board.until_on(started))
    return taken


def p99_ms(taken: list[float]) -> float:
    return median_and_p99_ms(taken[WARM_UP:])[1]


async def main() -> int:
    from kiosk.config import KioskConfig
    from kiosk.gate_agent import GateAgent, GateDevices

    base_db, _ = require_services()
    gate_board, barrier = await RelayBoard().start(), await RelayBoard().start()
    async with throwaway_database(base_db, "houqin_bench_gate") as db_url:
        env = server_env(db_url, "1")
        code, secret, token = await prepare(env, barrier.port)
        with tempfile.TemporaryDirectory() as data_dir:
            config = KioskConfig(
                f"http://127.0.0.1:{env['PORT']}",
                code,
                secret,
                card_reader="sim",
                scanner="sim",
                data_dir=Path(data_dir),
                port=0,
                mode="gate",
                relay=f"modbus+tcp://127.0.0.1:{gate_board.port}?pulse_ms={PULSE_MS}",
                retry_seconds=0.5,
                repeat_ignore_seconds=0.0,
                online_deadline_ms=800,
            )
            agent = GateAgent(config, GateDevices.from_config(config))
            async with running_server(env) as backend_url:
                await agent.start()
                while not (agent.link.online and agent.link.facts):
                    await asyncio.sleep(0.05)
                plate = await plates(backend_url, barrier, WARM_UP + RUNS)
                online = await scans(agent, gate_board, token, WARM_UP + RUNS)
            try:
                offline = await scans(agent, gate_board, token, WARM_UP + RUNS)
                if agent.link.online is not False:
                    raise SystemExit("gate_pass: the gate terminal did not notice the backend stopped")
            finally:
                await agent.stop()
    await gate_board.stop()
    await barrier.stop()
    print(
        f"gate_pass: online_p99_ms={p99_ms(online):.1f} offline_p99_ms={p99_ms(offline):.1f} "
        f"plate_p99_ms={p99_ms(plate):.1f}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
