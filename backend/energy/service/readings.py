"""STAND-IN (helper readings writes the real file): storing, entering and reviewing readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from backend.core.audit import Actor
from backend.energy.errors import EnergyError
from backend.energy.models import CommState, Meter, Reading, ReadingSource, ReadingStatus

HELD = (ReadingStatus.HELD_BACKWARD, ReadingStatus.HELD_SPIKE)


@dataclass(frozen=True)
class ReadingIn:
    meter_id: int
    slot_at: datetime
    read_at: datetime
    raw_milli: int
    source: ReadingSource = ReadingSource.COLLECTOR


def _view(reading: Reading, meter: Meter) -> dict:
    return {
        "id": reading.id,
        "meter_id": meter.id,
        "meter_code": meter.code,
        "meter_name": meter.name,
        "slot_at": reading.slot_at,
        "read_at": reading.read_at,
        "raw_milli": reading.raw_milli,
        "value_text": f"{Decimal(reading.raw_milli) / 1000:,.3f}",
        "source": reading.source.value,
        "source_label": reading.source.label,
        "status": reading.status.value,
        "status_label": reading.status.label,
        "review_note": reading.review_note,
    }


async def ingest(rows: Sequence[ReadingIn]) -> int:
    before = await Reading.filter(meter_id__in={r.meter_id for r in rows}).count()
    await Reading.bulk_create(
        [
            Reading(meter_id=r.meter_id, slot_at=r.slot_at, read_at=r.read_at, raw_milli=r.raw_milli, source=r.source)
            for r in rows
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    inserted = await Reading.filter(meter_id__in={r.meter_id for r in rows}).count() - before
    for meter_id in {r.meter_id for r in rows}:
        newest = await Reading.filter(meter_id=meter_id).order_by("-read_at").first()
        if newest:
            await Meter.filter(id=meter_id).update(
                last_read_at=newest.read_at, last_raw_milli=newest.raw_milli, comm_state=CommState.ONLINE
            )
    return inserted


async def record_manual(actor: Actor, meter_id: int, read_at: datetime, value_text: str) -> dict:
    meter = await Meter.get_or_none(id=meter_id)
    if meter is None:
        raise EnergyError.METER_NOT_FOUND.error()
    try:
        value = Decimal(value_text.strip())
    except InvalidOperation:
        raise EnergyError.READING_INVALID.error(problem="读数应为数字，最多 3 位小数") from None
    if not value.is_finite() or value < 0 or value > 10**12:
        raise EnergyError.READING_INVALID.error(problem="读数应为 0 到 10^12 之间的数")
    reading = await Reading.create(
        meter_id=meter_id,
        slot_at=read_at,
        read_at=read_at,
        raw_milli=int(value * 1000),
        source=ReadingSource.MANUAL,
        entered_by_id=actor.admin_id,
    )
    await Meter.filter(id=meter_id).update(last_read_at=read_at, last_raw_milli=reading.raw_milli)
    return _view(reading, meter)


async def review(actor: Actor, reading_id: int, accept: bool, note: str) -> dict:
    reading = await Reading.get_or_none(id=reading_id).select_related("meter")
    if reading is None:
        raise EnergyError.READING_NOT_FOUND.error()
    if reading.status not in HELD:
        raise EnergyError.READING_NOT_HELD.error()
    if not 1 <= len(note.strip()) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    reading.status = ReadingStatus.ACCEPTED if accept else ReadingStatus.REJECTED
    reading.review_note, reading.reviewed_by_id = note.strip(), actor.admin_id
    await reading.save()
    return _view(reading, reading.meter)


async def held_readings(scope_unit_ids: list[int] | None) -> list[dict]:
    query = Reading.filter(status__in=HELD).select_related("meter").order_by("slot_at")
    if scope_unit_ids is not None:
        query = query.filter(meter__unit_id__in=scope_unit_ids)
    return [_view(r, r.meter) for r in await query]


async def recent_readings(meter_id: int, limit: int = 96) -> list[dict]:
    rows = await Reading.filter(meter_id=meter_id).select_related("meter").order_by("-slot_at").limit(limit)
    return [_view(r, r.meter) for r in rows]
