"""Cutting and restoring supply against relays on pymodbus's own server: a decision is recorded
once and sent once, confirmed only by reading the relay back, retried and then failed when the
relay does not move; safety circuits, meters in their protected state (保电) and meters without a
switch are refused; a cut whose budget was raised in between is cancelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import (
    Alert,
    AlertKind,
    Budget,
    BudgetState,
    Meter,
    MeterKind,
    SupplyState,
    SwitchAction,
    SwitchCommand,
    SwitchReason,
    SwitchState,
)
from backend.energy.service import switching
from backend.energy.service.switching import request, send_pending
from hardware.meters import MeterRead, SwitchRead
from hardware.status import OK, DeviceStatus

SETTINGS = EnergySettings(poll_timeout_seconds=1, switch_max_attempts=3)
CUT, RESTORE = SwitchAction.CUT, SwitchAction.RESTORE
T0 = datetime(2026, 3, 20, 10, 0, tzinfo=BUSINESS_TZ)


async def exhausted_budget(world) -> Budget:
    """FGW's electricity this month: used up two days ago and cut."""
    return await Budget.create(
        unit_id=world.fgw_id,
        month=date(2026, 3, 1),
        kind=MeterKind.ELECTRICITY,
        headcount=2,
        per_person_milli=500_000,
        computed_milli=1_000_000,
        used_milli=1_200_000,
        state=BudgetState.CUT,
        exhausted_at=T0 - timedelta(days=2),
    )


async def cut_fgw(world, budget: Budget | None = None, key: str = "cut:1") -> bool:
    return await request(
        None, world.fgw_power.id, CUT, SwitchReason.BUDGET_EXHAUSTED, key, budget_id=budget.id if budget else None
    )


async def test_a_cut_is_recorded_once_sent_once_and_confirmed_by_reading_the_relay_back(
    energy_world, meter_board, runtime
):
    budget = await exhausted_budget(energy_world)
    assert await cut_fgw(energy_world, budget) is True
    assert await cut_fgw(energy_world, budget) is False
    assert await SwitchCommand.filter(decision_key="cut:1").count() == 1

    assert await send_pending(T0, SETTINGS, runtime.cipher) == 1
    assert await send_pending(T0 + timedelta(minutes=5), SETTINGS, runtime.cipher) == 0
    assert meter_board.coil_writes == [(1, False)]
    assert meter_board.relays[1] is False
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts, command.settled_at) == (SwitchState.CONFIRMED, 1, T0)
    meter = await Meter.get(id=energy_world.fgw_power.id)
    assert (meter.supply_state, meter.supply_read_at) == (SupplyState.OFF, T0)
    alert = await Alert.get(kind=AlertKind.CUT)
    assert (alert.unit_id, alert.meter_id, alert.budget_id) == (energy_world.fgw_id, meter.id, budget.id)
    assert alert.message == "发改委办公电（E-FGW-01）已断供（读回确认拉闸）"


async def test_a_restore_is_sent_and_read_back(energy_world, meter_board, runtime):
    meter_board.relays[1] = False
    await Meter.filter(id=energy_world.fgw_power.id).update(supply_state=SupplyState.OFF)
    assert await request(None, energy_world.fgw_power.id, RESTORE, SwitchReason.MONTH_ROLLOVER, "rollover:1")
    await send_pending(T0, SETTINGS, runtime.cipher)
    assert meter_board.coil_writes == [(1, True)]
    assert (await SwitchCommand.get(decision_key="rollover:1")).state is SwitchState.CONFIRMED
    assert (await Meter.get(id=energy_world.fgw_power.id)).supply_state is SupplyState.ON
    assert await Alert.filter(kind=AlertKind.RESTORED).count() == 1


async def test_a_meter_already_where_the_command_wants_it_is_confirmed_without_sending(
    energy_world, meter_board, runtime
):
    assert await request(None, energy_world.fgw_power.id, RESTORE, SwitchReason.MANUAL, "restore:1", actor=CLI_ACTOR)
    await send_pending(T0, SETTINGS, runtime.cipher)
    assert meter_board.coil_writes == []
    assert (await SwitchCommand.get(decision_key="restore:1")).state is SwitchState.CONFIRMED


async def test_a_relay_that_does_not_move_is_retried_after_a_rest_then_failed(energy_world, meter_board, runtime):
    meter_board.stuck.add(1)
    await cut_fgw(energy_world)

    assert await send_pending(T0, SETTINGS, runtime.cipher) == 1
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts) == (SwitchState.SENT, 1)
    assert command.last_error == "读回开关仍为合闸"
    # an attempt may still be under way: not sent again so soon
    assert await send_pending(T0 + timedelta(seconds=20), SETTINGS, runtime.cipher) == 0

    await send_pending(T0 + timedelta(minutes=1), SETTINGS, runtime.cipher)
    await send_pending(T0 + timedelta(minutes=2), SETTINGS, runtime.cipher)
    assert await send_pending(T0 + timedelta(minutes=3), SETTINGS, runtime.cipher) == 0
    assert meter_board.coil_writes == [(1, False)] * 3
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts) == (SwitchState.FAILED, 3)
    failed = await Alert.filter(kind=AlertKind.SWITCH_FAILED).values_list("message", flat=True)
    assert failed == ["发改委办公电（E-FGW-01）断供经 3 次尝试仍未确认：读回开关仍为合闸"]
    assert (await Meter.get(id=energy_world.fgw_power.id)).supply_state is SupplyState.ON


async def test_a_relay_that_moves_on_a_later_attempt_is_confirmed(energy_world, meter_board, runtime):
    meter_board.stuck.add(1)
    await cut_fgw(energy_world)
    await send_pending(T0, SETTINGS, runtime.cipher)
    meter_board.stuck.clear()
    await send_pending(T0 + timedelta(minutes=1), SETTINGS, runtime.cipher)
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts, command.last_error) == (SwitchState.CONFIRMED, 2, "")
    assert meter_board.relays[1] is False


async def test_a_silent_meter_counts_as_a_failed_attempt(energy_world, meter_board, runtime):
    await Meter.filter(id=energy_world.fgw_power.id).update(endpoint=meter_board.silent_endpoint)
    await cut_fgw(energy_world)
    await send_pending(T0, SETTINGS, runtime.cipher)
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.attempts) == (SwitchState.SENT, 1)
    assert command.last_error.startswith("读取开关状态失败")


async def test_a_safety_circuit_is_never_cut(energy_world, meter_board, runtime):
    assert await request(None, energy_world.fgw_safety.id, CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:safe") is False
    refused = await SwitchCommand.get(decision_key="cut:safe")
    assert (refused.state, refused.last_error) == (SwitchState.REFUSED, "安全回路，不能断供")
    assert await Alert.filter(kind=AlertKind.SWITCH_REFUSED, meter_id=energy_world.fgw_safety.id).count() == 1

    # a circuit flagged as safety after the cut was decided
    await cut_fgw(energy_world)
    await Meter.filter(id=energy_world.fgw_power.id).update(is_safety=True)
    await send_pending(T0, SETTINGS, runtime.cipher)
    assert (await SwitchCommand.get(decision_key="cut:1")).state is SwitchState.REFUSED
    assert meter_board.coil_writes == []
    assert meter_board.relays[1] is True and meter_board.relays[3] is True


async def test_a_safety_circuit_may_still_be_restored(energy_world, meter_board, runtime):
    meter_board.relays[3] = False
    assert await request(None, energy_world.fgw_safety.id, RESTORE, SwitchReason.MANUAL, "restore:safe")
    await send_pending(T0, SETTINGS, runtime.cipher)
    assert meter_board.coil_writes == [(3, True)]


async def test_a_meter_without_a_switch_is_refused(energy_world, runtime):
    assert await request(None, energy_world.fgw_water.id, CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:water") is False
    refused = await SwitchCommand.get(decision_key="cut:water")
    assert (refused.state, refused.last_error) == (SwitchState.REFUSED, "该电表没有可控的开关")


class ProtectedMeter:
    """A DL/T 645 meter in its protected state (保电), supplied: it would obey a trip."""

    def __init__(self):
        self.switched: list[bool] = []

    async def read(self) -> MeterRead:
        return MeterRead(OK, 1_000)

    async def read_switch(self) -> SwitchRead:
        return SwitchRead(OK, True, protected=True)

    async def switch(self, on: bool) -> DeviceStatus:
        self.switched.append(on)
        return OK

    async def close(self) -> None:
        return None


async def test_a_meter_in_its_protected_state_is_not_cut(energy_world, runtime):
    meter = ProtectedMeter()
    await cut_fgw(energy_world)
    await send_pending(T0, SETTINGS, runtime.cipher, opener=lambda *args: meter)
    assert meter.switched == []
    command = await SwitchCommand.get(decision_key="cut:1")
    assert (command.state, command.last_error) == (SwitchState.REFUSED, "电表处于保电状态，不能断供")
    assert (await Meter.get(id=energy_world.fgw_power.id)).protected is True
    assert await Alert.filter(kind=AlertKind.SWITCH_REFUSED).count() == 1


async def test_the_control_secret_is_decrypted_for_the_meter(energy_world, runtime):
    opened = []
    secret = "02123456:00000001"
    encrypted = runtime.cipher.encrypt(secret, context=switching.SECRET_CONTEXT)
    await Meter.filter(id=energy_world.fgw_power.id).update(control_secret_encrypted=encrypted)
    meter = ProtectedMeter()

    def opener(*args):
        opened.append(args)
        return meter

    await cut_fgw(energy_world)
    await send_pending(T0, SETTINGS, runtime.cipher, opener=opener)
    protocol, endpoint, address, register_map, given, timeout = opened[0]
    assert (protocol, address, given, timeout) == ("modbus_tcp", "1", secret, 1)
    assert register_map == energy_world.model.register_map


async def test_a_cut_is_cancelled_when_the_budget_was_raised_before_it_was_sent(energy_world, meter_board, runtime):
    budget = await exhausted_budget(energy_world)
    await cut_fgw(energy_world, budget)
    await Budget.filter(id=budget.id).update(adjustment_milli=500_000, state=BudgetState.NORMAL)

    await send_pending(T0, SETTINGS, runtime.cipher)
    command = await SwitchCommand.get(decision_key="cut:1")
    assert command.state is SwitchState.CANCELLED
    assert "预算已不再用尽" in command.last_error
    assert meter_board.coil_writes == []
    assert not await Alert.filter(kind=AlertKind.CUT).exists()


async def test_a_newer_decision_for_a_meter_supersedes_an_older_open_one(energy_world, meter_board, runtime):
    await cut_fgw(energy_world)
    await request(None, energy_world.fgw_power.id, RESTORE, SwitchReason.MANUAL, "restore:1")
    await send_pending(T0, SETTINGS, runtime.cipher)
    states = dict(await SwitchCommand.all().values_list("decision_key", "state"))
    assert states == {"cut:1": SwitchState.CANCELLED, "restore:1": SwitchState.CONFIRMED}
    assert meter_board.coil_writes == []


async def test_the_console_sees_the_commands_of_its_units_meters(energy_world, runtime):
    await cut_fgw(energy_world)
    await request(None, energy_world.czj_power.id, CUT, SwitchReason.BUDGET_EXHAUSTED, "cut:czj")
    await request(None, energy_world.shared_power.id, RESTORE, SwitchReason.MANUAL, "restore:pub", actor=CLI_ACTOR)

    everything = await switching.commands(None)
    assert [c["decision_key"] for c in everything] == ["restore:pub", "cut:czj", "cut:1"]
    fgw = await switching.commands([energy_world.fgw_id])
    assert [c["decision_key"] for c in fgw] == ["restore:pub", "cut:1"]
    first = fgw[1]
    assert (first["meter_code"], first["unit_name"], first["action_label"], first["state_label"]) == (
        "E-FGW-01",
        "市发展和改革委员会",
        "断供",
        "待发送",
    )
    assert fgw[0]["reason_label"] == "管理员恢复" and fgw[0]["unit_name"] == ""
    assert len(await switching.commands(None, limit=1)) == 1
