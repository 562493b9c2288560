"""The collector (采集): every ENERGY_POLL_MINUTES each communicating meter is read once, the
answers are stored as readings of that slot, and the new readings are folded into rollups and
checked against the budgets.

A reading belongs to its slot (the slot's start, Beijing time, aligned to midnight) and a meter
has at most one per slot, so a collector restarted within a slot, or two collectors at once,
store nothing twice: a meter already read for the slot is not read again, and the store itself
ignores a second row of a slot. Meters that do not answer, or answer nonsense, are recorded on the
meter (state, count of failures in a row, the reason, headed by the slot: a failure counts once
per slot, however many collectors met it) and nothing is stored for them; they never hold up the
others, each being read within the time-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from backend.core import timeutil
from backend.core.crypto import FieldCipher
from backend.energy.config import EnergySettings
from backend.energy.models import AlertKind, CommState, Meter, Protocol, Reading, SupplyState
from backend.energy.service import alerts, budgets, derive, readings
from backend.energy.service.switching import CLIENT_FIELDS, meter_client
from hardware.meters import MeterClient, MeterRead, SwitchRead, open_meter
from hardware.status import DeviceState, DeviceStatus

log = logging.getLogger(__name__)

_FIELDS = ("id", "code", "name", "unit_id", "last_read_at", "derived_until", "comm_failures", "model__can_switch")
# After a failed run `houqin collect` tries again this soon (or at the next slot, if sooner).
RETRY_SECONDS = 30
COMM_ERROR_LENGTH = 200


def slot_of(moment: datetime, poll_minutes: int) -> datetime:
    """The start of the collection slot `moment` falls in: slots of `poll_minutes` (a divisor of
    60) from midnight, Beijing time."""
    local = moment.astimezone(timeutil.BUSINESS_TZ)
    return local.replace(minute=local.minute - local.minute % poll_minutes, second=0, microsecond=0)


@dataclass(frozen=True)
class CollectReport:
    slot_at: datetime
    due: int  # meters without a reading of the slot when the run began
    stored: int  # readings written by this run
    silent: int  # meters that did not answer in time
    garbage: int  # meters whose answer was unusable
    derived: int  # meters whose readings were folded into rollups

    def __str__(self) -> str:
        return (
            f"{self.slot_at:%Y-%m-%d %H:%M} 时段：应采 {self.due} 块，入库 {self.stored} 条，"
            f"无应答 {self.silent} 块，应答无效 {self.garbage} 块"
        )


@dataclass(frozen=True)
class _Answer:
    meter: dict
    read: MeterRead
    switch: SwitchRead | None = None


def _failed(state: DeviceState, problem: str) -> MeterRead:
    return MeterRead(DeviceStatus(state, problem), None, problem)


async def _poll(meter: dict, settings: EnergySettings, cipher: FieldCipher, opener) -> _Answer:
    """Read one meter's register (and its switch, where it has one), each within the time-out."""
    timeout = settings.poll_timeout_seconds
    try:
        client = meter_client(meter, cipher, timeout, opener)
    except (ValueError, InvalidTag) as exc:
        return _Answer(meter, _failed(DeviceState.ERROR, f"电表的通信设置无法使用：{str(exc) or '控制密码无法解密'}"))
    try:
        async with asyncio.timeout(timeout):
            read = await client.read()
        if not (read.status.usable and read.raw_milli is not None) or not meter["model__can_switch"]:
            return _Answer(meter, read)
        # The supply state shown on the console, and a protected state (保电) the meter's owner
        # set, are the collector's last word too.
        async with asyncio.timeout(timeout):
            switch = await client.read_switch()
        return _Answer(meter, read, switch if switch.status.usable and switch.on is not None else None)
    except TimeoutError:
        return _Answer(meter, _failed(DeviceState.DISCONNECTED, f"{timeout} 秒内无应答"))
    finally:
        await client.close()


def _comm_state(read: MeterRead) -> CommState:
    return CommState.NO_ANSWER if read.status.state is DeviceState.DISCONNECTED else CommState.GARBAGE


def _problem(read: MeterRead) -> str:
    default = "无应答" if _comm_state(read) is CommState.NO_ANSWER else "应答无法识别为读数"
    return (read.problem or default)[:COMM_ERROR_LENGTH]


def _slot_tag(slot: datetime) -> str:
    """How a failure's text names its slot: a failure is counted once per slot."""
    return f"{slot:%Y-%m-%d %H:%M} "


async def _record_failure(answer: _Answer, slot: datetime, settings: EnergySettings) -> None:
    """Count the meter's failure in the slot once, however many collectors failed to read it in
    that slot (the worker's job and `houqin collect`, or a run restarted): the failure is written
    by a conditional update keyed on the slot, named at the head of the failure's text."""
    meter, read = answer.meter, answer.read
    tag = _slot_tag(slot)
    problem = (tag + _problem(read))[:COMM_ERROR_LENGTH]
    counted = (
        await Meter.filter(id=meter["id"])
        .exclude(comm_error__startswith=tag)
        .update(comm_state=_comm_state(read), comm_error=problem, comm_failures=F("comm_failures") + 1)
    )
    if not counted:
        return
    failures = (await Meter.filter(id=meter["id"]).values_list("comm_failures", flat=True))[0]
    if failures >= settings.silent_alert_polls:
        # One alert per spell of silence: the spell is named by the last reading before it.
        since = meter["last_read_at"].isoformat() if meter["last_read_at"] else "never"
        await alerts.raise_alert(
            AlertKind.METER_SILENT,
            f"{meter['name']}（{meter['code']}）已连续 {failures} 次采集未得到读数：{problem}",
            f"silent:{meter['id']}:{since}",
            unit_id=meter["unit_id"],
            meter_id=meter["id"],
        )


async def _update_meters(ids: list[int], where: Q, **values) -> None:
    """One update of the meters `ids` that match `where`, their rows locked in id order first:
    collectors running at once (the worker's job and `houqin collect`) lock meters in id order
    when they store readings, and an update locking the same rows in the table's order would
    deadlock with them."""
    async with in_transaction() as conn:
        await readings.lock_meters(conn, sorted(ids))
        await Meter.filter(where, id__in=ids).using_db(conn).update(**values)


async def _record_switches(answers: list[_Answer], at: datetime) -> None:
    groups: dict[tuple[bool, bool], list[int]] = {}
    for answer in answers:
        if answer.switch is not None:
            groups.setdefault((bool(answer.switch.on), answer.switch.protected), []).append(answer.meter["id"])
    for (on, protected), ids in groups.items():
        state = SupplyState.ON if on else SupplyState.OFF
        await _update_meters(ids, Q(), supply_state=state, protected=protected, supply_read_at=at)


async def collect_once(
    now: datetime, settings: EnergySettings, cipher: FieldCipher, opener: Callable[..., MeterClient] = open_meter
) -> CollectReport:
    """Collect the slot `now` falls in: every active meter with a communicating model and no
    reading of the slot yet is read, ENERGY_POLL_CONCURRENCY at a time; the answers are stored
    (readings.ingest), failures recorded on the meters (an alert METER_SILENT once a meter has
    failed ENERGY_SILENT_ALERT_POLLS times in a row). Then the meters with readings of the slot
    not yet derived (this run's, or a run's that stopped before deriving) are derived, and the
    budgets evaluated."""
    slot = slot_of(now, settings.poll_minutes)
    meters = (
        await Meter.filter(is_active=True, model_id__isnull=False)
        .exclude(model__protocol=Protocol.MANUAL)
        .values(*_FIELDS, *CLIENT_FIELDS)
    )
    stored_ids = set(
        await Reading.filter(meter_id__in=[m["id"] for m in meters], slot_at=slot).values_list("meter_id", flat=True)
    )
    due = [m for m in meters if m["id"] not in stored_ids]
    limit = asyncio.Semaphore(settings.poll_concurrency)

    async def poll(meter: dict) -> _Answer:
        async with limit:
            return await _poll(meter, settings, cipher, opener)

    answers = await asyncio.gather(*(poll(m) for m in due))
    good: list[_Answer] = []
    failed: list[_Answer] = []
    for answer in answers:
        (good if answer.read.status.usable and answer.read.raw_milli is not None else failed).append(answer)
    rows = [readings.ReadingIn(a.meter["id"], slot, now, a.read.raw_milli) for a in good]
    stored = await readings.ingest(rows, settings=settings) if rows else 0
    good_ids = [a.meter["id"] for a in good]
    if good_ids:
        await _update_meters(good_ids, Q(comm_failures__gt=0) | ~Q(comm_error=""), comm_failures=0, comm_error="")
    await _record_switches(good, now)
    for answer in failed:
        await _record_failure(answer, slot, settings)
    underived = [
        m["id"] for m in meters if m["id"] in stored_ids and (m["derived_until"] is None or m["derived_until"] < slot)
    ]
    to_derive = sorted({*good_ids, *underived})
    if to_derive:
        await derive.derive(to_derive, settings)
        await budgets.evaluate(now, settings)
    silent = sum(1 for a in failed if _comm_state(a.read) is CommState.NO_ANSWER)
    return CollectReport(slot, len(due), stored, silent, len(failed) - silent, len(to_derive))


def seconds_to_next_slot(moment: datetime, poll_minutes: int) -> float:
    """Until just past the next slot's start: a timer firing a hair early must not poll the
    meters that failed in the slot ending again."""
    return (slot_of(moment, poll_minutes) + timedelta(minutes=poll_minutes) - moment).total_seconds() + 1


async def run_forever(settings: EnergySettings, cipher: FieldCipher, stop: asyncio.Event) -> None:
    """`houqin collect`: collect now, then at the start of every slot, until `stop` is set. A run
    that fails (the database away) is tried again after RETRY_SECONDS: collecting a slot twice
    stores nothing twice."""
    while not stop.is_set():
        try:
            report = await collect_once(timeutil.now(), settings, cipher)
        except Exception:
            # The process must outlive an outage of the database; the failure is in the log.
            log.exception("energy collection failed, retrying in %s s", RETRY_SECONDS)
            wait = min(RETRY_SECONDS, seconds_to_next_slot(timeutil.now(), settings.poll_minutes))
        else:
            log.info("energy collected: %s", report)
            wait = seconds_to_next_slot(timeutil.now(), settings.poll_minutes)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
