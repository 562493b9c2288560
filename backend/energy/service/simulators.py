"""The demo's meters on simulators, running inside `houqin run` (a worker task of the module):
a bank of Modbus TCP meters and a DL/T 645 gateway on the addresses the demo registered its
meters at, each meter's register starting where its last reading left it (so the collector
reads on without a backward step) and advancing at the demo's load while its relay is closed.
It starts only when `houqin run` asked for it (ENERGY_DEMO_SIMULATORS=1, set by the command on
the embedded default) and the demo's meters exist; elsewhere it does nothing."""

from __future__ import annotations

import asyncio
import logging
import os

from backend.energy import demo
from backend.energy.models import Protocol, SupplyState
from backend.energy.service import meters
from hardware.meter_sim import Dlt645MeterSim, ModbusMeterSim, SimMeter

log = logging.getLogger(__name__)

ENV = "ENERGY_DEMO_SIMULATORS"


def wanted() -> bool:
    return os.environ.get(ENV, "").strip() == "1"


def _sim_meter(row: dict, spec: demo.DemoMeter, password: str = "02123456") -> SimMeter:
    start = row["last_raw_milli"] if row["last_raw_milli"] is not None else spec.start_milli
    return SimMeter(
        start, spec.sim_load, on=row["supply_state"] != SupplyState.OFF.value, protected=False, password=password
    )


async def simulators() -> list[ModbusMeterSim | Dlt645MeterSim]:
    """The simulators of the demo's meters as registered now (none when the demo has none)."""
    specs = {m.code: m for m in demo.METERS if m.model}
    rows = [r for r in await meters.meter_rows(None) if r["code"] in specs and r["model_id"]]
    models = {m["id"]: m for m in await meters.models()}
    modbus: dict[int, SimMeter] = {}
    dlt645: dict[str, SimMeter] = {}
    register_map = None
    for row in rows:
        model = models[row["model_id"]]
        if model["protocol"] == Protocol.MODBUS_TCP.value and row["endpoint"] == f"{demo.SIM_HOST}:{demo.MODBUS_PORT}":
            modbus[int(row["device_address"])] = _sim_meter(row, specs[row["code"]])
            register_map = model["register_map"]
        elif model["protocol"] == Protocol.DLT645.value and row["endpoint"] == f"{demo.SIM_HOST}:{demo.DLT645_PORT}":
            password = demo.DLT645_SECRET.split(":")[0]
            dlt645[row["device_address"]] = _sim_meter(row, specs[row["code"]], password)
    found: list[ModbusMeterSim | Dlt645MeterSim] = []
    if modbus and register_map:
        found.append(ModbusMeterSim(modbus, register_map, host=demo.SIM_HOST, port=demo.MODBUS_PORT))
    if dlt645:
        found.append(Dlt645MeterSim(dlt645, host=demo.SIM_HOST, port=demo.DLT645_PORT))
    return found


async def serve(runtime) -> None:
    """Run the demo's simulators until the server stops (cancelled with the worker's tasks)."""
    if not wanted():
        return
    started: list[ModbusMeterSim | Dlt645MeterSim] = []
    try:
        for sim in await simulators():
            try:
                started.append(await sim.start())
            except OSError as problem:
                # Another process holds the port (a second `houqin run`): the demo reads it there.
                log.warning("能耗演示模拟器未能在 %s:%s 启动：%s", sim.host, sim.port, problem)
        if not started:
            return
        log.info("能耗演示模拟器已启动：%s", "，".join(f"{s.host}:{s.port}（{len(s.meters)} 块表）" for s in started))
        await asyncio.Event().wait()
    finally:
        for sim in started:
            await sim.stop()
