"""The sender leaves a meter alone while an attempt at one of its commands may still be under
way: a newer decision neither cancels that command nor is sent before it has rested, so the
relay cannot end where the older command puts it after the newer was confirmed."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import SwitchAction, SwitchCommand, SwitchReason, SwitchState
from backend.energy.service.switching import request, send_pending

SETTINGS = EnergySettings(poll_timeout_seconds=1, switch_max_attempts=3)
T0 = datetime(2026, 3, 20, 10, 0, tzinfo=BUSINESS_TZ)


async def test_a_newer_decision_waits_while_an_attempt_may_be_under_way(energy_world, meter_board, runtime):
    meter = energy_world.fgw_power.id
    await request(None, meter, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:1")
    # another sender claimed the cut a moment ago and is still at it
    await SwitchCommand.filter(decision_key="cut:1").update(state=SwitchState.SENT, attempts=1, sent_at=T0)
    await request(None, meter, SwitchAction.RESTORE, SwitchReason.BUDGET_RAISED, "restore:1")

    assert await send_pending(T0 + timedelta(seconds=10), SETTINGS, runtime.cipher) == 0
    states = dict(await SwitchCommand.all().values_list("decision_key", "state"))
    assert states == {"cut:1": SwitchState.SENT, "restore:1": SwitchState.PENDING}
    assert meter_board.coil_writes == []

    # once the attempt has rested, the newer decision wins
    assert await send_pending(T0 + timedelta(minutes=1), SETTINGS, runtime.cipher) == 2
    states = dict(await SwitchCommand.all().values_list("decision_key", "state"))
    assert states == {"cut:1": SwitchState.CANCELLED, "restore:1": SwitchState.CONFIRMED}


async def test_other_meters_are_worked_meanwhile(energy_world, meter_board, runtime):
    await request(None, energy_world.fgw_power.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:1")
    await SwitchCommand.filter(decision_key="cut:1").update(state=SwitchState.SENT, attempts=1, sent_at=T0)
    await request(None, energy_world.czj_power.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:2")
    assert await send_pending(T0 + timedelta(seconds=10), SETTINGS, runtime.cipher) == 1
    assert meter_board.coil_writes == [(2, False)]
