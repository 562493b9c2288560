"""Meter events (换表、清零、变更倍率): the recorded breaks in a register's continuity. The
derivation never guesses one from the readings; a person records it with the old register's
final value, the new register's starting value and the multiplier from then on, and the use
across it is (old final − previous) × old multiplier + (next − new start) × new multiplier.

An event applies to readings at or after its moment. Events are recorded in time order (each
after the meter's last), so each one's old multiplier is the meter's multiplier when it is
recorded; one recorded behind the derivation watermark re-derives the meter from its moment in
the same transaction, which also releases readings held as backward that it explains."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from backend.accounts.service import admins
from backend.core import sql
from backend.core.audit import Actor, record
from backend.core.timeutil import day_start
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import Meter, MeterEvent, MeterEventKind
from backend.energy.service import derive
from backend.energy.service.derive import counted, moment, value_text
from backend.energy.service.readings import DEFAULTS, checked_moment, value_or_problem

MAX_MULTIPLIER = 100_000


def _invalid(problem: str) -> Exception:
    return EnergyError.EVENT_INVALID.error(problem=problem)


def _value(text: str, what: str) -> int:
    value = value_or_problem(text)
    if isinstance(value, str):
        raise _invalid(f"{what}：{value}")
    return value


def _view(event: MeterEvent, admin_names: dict[int, str]) -> dict:
    kind = MeterEventKind(event.kind)
    return {
        "id": event.id,
        "meter_id": event.meter_id,  # type: ignore[attr-defined]
        "kind": kind.value,
        "kind_label": kind.label,
        "at": moment(event.at),
        "old_final_milli": event.old_final_milli,
        "old_final": value_text(event.old_final_milli),
        "new_start_milli": event.new_start_milli,
        "new_start": value_text(event.new_start_milli),
        "old_multiplier": event.old_multiplier,
        "new_multiplier": event.new_multiplier,
        "reason": event.reason,
        "admin_id": event.admin_id,  # type: ignore[attr-defined]
        "admin_name": admin_names.get(event.admin_id, ""),  # type: ignore[attr-defined]
        "created_at": moment(event.created_at),
    }


async def _admin_names() -> dict[int, str]:
    return {a["id"]: a["display_name"] for a in await admins.list_admins()}


def _checked_multiplier(kind: MeterEventKind, new_multiplier: object, current: int) -> int:
    if isinstance(new_multiplier, bool) or not isinstance(new_multiplier, int):
        raise _invalid(f"倍率应为 1 到 {MAX_MULTIPLIER} 的整数")
    if not 1 <= new_multiplier <= MAX_MULTIPLIER:
        raise _invalid(f"倍率应为 1 到 {MAX_MULTIPLIER} 的整数")
    if kind == MeterEventKind.RESET and new_multiplier != current:
        raise _invalid(f"表底清零不改变倍率，倍率应仍为 {current}")
    if kind == MeterEventKind.CT_CHANGE and new_multiplier == current:
        raise _invalid(f"变更倍率须填写与现倍率（{current}）不同的新倍率")
    return new_multiplier


async def record_event(
    actor: Actor,
    meter_id: int,
    kind: MeterEventKind,
    at: datetime,
    old_final_text: str,
    new_start_text: str,
    new_multiplier: int,
    reason: str,
    *,
    settings: EnergySettings | None = None,
) -> dict:
    """Record a reset, replacement or CT change of a meter at `at`: checked against the meter's
    last event and the last counted reading before it (the old register cannot end below a value
    it was read at), sets the meter's multiplier (and its replacement date), re-derives the meter
    from `at` when that is already derived, audited."""
    settings = settings or DEFAULTS
    try:
        kind = MeterEventKind(kind)
    except ValueError:
        raise _invalid("请选择表底清零、换表或变更倍率") from None
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    if actor.admin_id is None:
        raise _invalid("须由管理员在控制台记录")
    old_final = _value(old_final_text, "旧表止码")
    new_start = _value(new_start_text, "新表起码")
    moment_at = checked_moment(at, settings, "发生时间")
    if isinstance(moment_at, str):
        raise _invalid(moment_at)
    async with in_transaction() as conn:
        meter = await Meter.filter(id=meter_id).using_db(conn).select_for_update().get_or_none()
        if meter is None:
            raise EnergyError.METER_NOT_FOUND.error()
        multiplier = _checked_multiplier(kind, new_multiplier, meter.multiplier)
        if moment_at < day_start(meter.installed_on):
            raise _invalid(f"发生时间不能早于电表安装日期（{meter.installed_on.isoformat()}）")
        last_event = await MeterEvent.filter(meter_id=meter_id).using_db(conn).order_by("-at", "-id").first()
        if last_event is not None and moment_at <= moment(last_event.at):
            raise _invalid(f"须晚于该表上一次记录（{moment(last_event.at):%Y-%m-%d %H:%M}）")
        await _check_old_final(conn, meter_id, moment_at, old_final, last_event)
        event = await MeterEvent.create(
            meter_id=meter_id,
            kind=kind,
            at=moment_at,
            old_final_milli=old_final,
            new_start_milli=new_start,
            old_multiplier=meter.multiplier,
            new_multiplier=multiplier,
            reason=reason,
            admin_id=actor.admin_id,
            using_db=conn,
        )
        changes: dict = {"multiplier": multiplier}
        if kind == MeterEventKind.REPLACEMENT:
            changes["replaced_on"] = moment_at.date()
        await Meter.filter(id=meter_id).using_db(conn).update(**changes)
        if meter.derived_until is not None and moment_at <= moment(meter.derived_until):
            await derive.rederive(conn, meter_id, moment_at, settings, refused=EnergyError.EVENT_INVALID)
        await record(
            conn,
            actor,
            "energy.record_event",
            "meter",
            meter_id,
            before={"multiplier": meter.multiplier},
            after={
                "kind": kind.value,
                "kind_label": kind.label,
                "at": moment_at.isoformat(),
                "old_final": value_text(old_final),
                "new_start": value_text(new_start),
                "multiplier": multiplier,
                "reason": reason,
            },
        )
    return _view(event, await _admin_names())


async def _check_old_final(
    conn: object, meter_id: int, at: datetime, old_final: int, last_event: MeterEvent | None
) -> None:
    """The old register cannot end below the last value it was counted at: the last counted
    reading before `at` on the register in force (after the last event), else that event's
    starting value."""
    since = moment(last_event.at) if last_event is not None else None
    statement = f"SELECT slot_at, raw_milli FROM energy_reading WHERE meter_id = $1 AND {counted()} AND slot_at < $2"
    params: list = [meter_id, at]
    if since is not None:
        statement += " AND slot_at >= $3"
        params.append(since)
    last = await sql.row(conn, statement + " ORDER BY slot_at DESC LIMIT 1", *params)
    if last is not None and last["raw_milli"] > old_final:
        raise _invalid(
            f"旧表止码 {value_text(old_final)} 小于 {moment(last['slot_at']):%Y-%m-%d %H:%M} 的读数 "
            f"{value_text(last['raw_milli'])}"
        )
    if last is None and last_event is not None and last_event.new_start_milli > old_final:
        raise _invalid(
            f"旧表止码 {value_text(old_final)} 小于上一次记录的起码 {value_text(last_event.new_start_milli)}"
        )


async def events_of(meter_id: int) -> list[dict]:
    """The meter's recorded events, newest first."""
    events = await MeterEvent.filter(meter_id=meter_id).order_by("-at", "-id")
    names = await _admin_names() if events else {}
    return [_view(event, names) for event in events]
