"""Switching under real concurrency on PostgreSQL: senders racing over one pending cut send it
once; one decision taken by racing deciders is recorded once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from tortoise.transactions import in_transaction

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import SwitchAction, SwitchCommand, SwitchReason, SwitchState
from backend.energy.service.switching import request, send_pending

SETTINGS = EnergySettings(poll_timeout_seconds=1)
T0 = datetime(2026, 3, 20, 10, 0, tzinfo=BUSINESS_TZ)


async def test_senders_racing_over_one_cut_send_it_once(energy_world, meter_board, runtime, requires_postgres):
    await request(None, energy_world.fgw_power.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:1")
    worked = await asyncio.gather(*(send_pending(T0, SETTINGS, runtime.cipher) for _ in range(2)))
    assert sorted(worked) == [0, 1]
    worked = await asyncio.gather(*(send_pending(T0, SETTINGS, runtime.cipher) for _ in range(8)))
    assert worked == [0] * 8
    assert meter_board.coil_writes == [(1, False)]
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts) == (SwitchState.CONFIRMED, 1)


async def test_one_decision_taken_by_racing_deciders_is_recorded_once(energy_world, requires_postgres):
    async def decide() -> bool:
        async with in_transaction() as conn:
            return await request(
                conn, energy_world.fgw_power.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:7:1:1"
            )

    recorded = await asyncio.gather(*(decide() for _ in range(10)))
    assert sorted(recorded) == [False] * 9 + [True]
    assert await SwitchCommand.filter(decision_key="cut:7:1:1").count() == 1


async def test_a_safety_cut_decided_by_racing_deciders_is_refused_and_alerted_once(energy_world, requires_postgres):
    async def decide() -> bool:
        async with in_transaction() as conn:
            return await request(
                conn, energy_world.fgw_safety.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:7:3:1"
            )

    assert await asyncio.gather(*(decide() for _ in range(10))) == [False] * 10
    refused = await SwitchCommand.filter(decision_key="cut:7:3:1").values_list("state", flat=True)
    assert refused == [SwitchState.REFUSED]
