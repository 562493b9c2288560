"""STAND-IN (helper readings writes the real file): resets, replacements and CT changes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from backend.core.audit import Actor
from backend.energy.errors import EnergyError
from backend.energy.models import Meter, MeterEvent, MeterEventKind


def _milli(text: str) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise EnergyError.EVENT_INVALID.error(problem="读数应为数字，最多 3 位小数") from None
    if not value.is_finite() or value < 0:
        raise EnergyError.EVENT_INVALID.error(problem="读数不能为负")
    return int(value * 1000)


def _view(event: MeterEvent) -> dict:
    return {
        "id": event.id,
        "kind": event.kind.value,
        "kind_label": event.kind.label,
        "at": event.at,
        "old_final_milli": event.old_final_milli,
        "new_start_milli": event.new_start_milli,
        "old_multiplier": event.old_multiplier,
        "new_multiplier": event.new_multiplier,
        "reason": event.reason,
        "admin_name": event.admin.username if event.admin else "",
    }


async def record_event(
    actor: Actor,
    meter_id: int,
    kind: MeterEventKind,
    at: datetime,
    old_final_text: str,
    new_start_text: str,
    new_multiplier: int,
    reason: str,
) -> dict:
    meter = await Meter.get_or_none(id=meter_id)
    if meter is None:
        raise EnergyError.METER_NOT_FOUND.error()
    if not 1 <= len(reason.strip()) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    if not 1 <= new_multiplier <= 100_000:
        raise EnergyError.EVENT_INVALID.error(problem="倍率应为 1 到 100000 的整数")
    event = await MeterEvent.create(
        meter_id=meter_id,
        kind=kind,
        at=at,
        old_final_milli=_milli(old_final_text),
        new_start_milli=_milli(new_start_text),
        old_multiplier=meter.multiplier,
        new_multiplier=new_multiplier,
        reason=reason.strip(),
        admin_id=actor.admin_id,
    )
    await Meter.filter(id=meter_id).update(multiplier=new_multiplier)
    await event.fetch_related("admin")
    return _view(event)


async def events_of(meter_id: int) -> list[dict]:
    return [_view(e) for e in await MeterEvent.filter(meter_id=meter_id).select_related("admin").order_by("-at")]
