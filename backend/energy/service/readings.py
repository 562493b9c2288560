"""Readings (抄表读数): cumulative registers as read, stored once per meter and collection slot.

`ingest` takes the collector's answers in bulk: on PostgreSQL by COPY into a temporary table and
one INSERT ... SELECT ... ON CONFLICT DO NOTHING, so a collector restarted mid-slot writes nothing
twice. People add readings of meters without communication (`record_manual`, and the Excel
import in `reading_import`) and review the readings the derivation held (`review`). Every
reading that lands behind a meter's derivation watermark re-derives the meter from the hour it
touches, in the transaction that stores it, holding the meter's row lock (taken in id order when
several meters are written at once); one that lands where the raw readings have been purged is
refused (energy.reading_invalid), as re-deriving there would erase use already counted.
`purge_raw` deletes raw readings past the retention period, never those a re-derivation of the
retained period starts from (nor the spike history before them); the rollups stay.

Values typed by people are decimal text with up to three decimals in the kind's unit (kWh, m³,
GJ), stored as integer thousandths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.core import sql
from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ, business_time, now
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import Meter, Reading, ReadingSource, ReadingStatus
from backend.energy.service import derive
from backend.energy.service.derive import HOUR, SPIKE_HISTORY, at_epoch, counted, epoch, moment, value_text

DEFAULTS = EnergySettings()
# A register of a billion units is beyond any meter (and times the largest multiplier it still
# fits a 64-bit integer).
MAX_RAW_MILLI = 10**12
# A reading a person dates a few minutes ahead of the server's clock is not "in the future".
_CLOCK_SKEW = timedelta(minutes=5)
HELD = (ReadingStatus.HELD_BACKWARD, ReadingStatus.HELD_SPIKE)
MAX_HELD_LISTED = 500


@dataclass(frozen=True)
class ReadingIn:
    """One register value for `ingest`: `slot_at` is the collection slot (the read time itself for
    manual and imported readings)."""

    meter_id: int
    slot_at: datetime
    read_at: datetime
    raw_milli: int
    source: ReadingSource = ReadingSource.COLLECTOR


def _invalid(problem: str) -> Exception:
    return EnergyError.READING_INVALID.error(problem=problem)


def value_or_problem(text: Any) -> int | str:
    """A register typed by a person ("12345.67") in thousandths, or why it is not one: not a
    number, negative, more than three decimals, or beyond any meter."""
    cleaned = str(text if text is not None else "").strip().replace(",", "")
    if not cleaned:
        return "请填写读数"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return f"“{cleaned[:20]}”不是数字"
    if not value.is_finite():
        return f"“{cleaned[:20]}”不是数字"
    if value < 0:
        return "读数不能为负数"
    # Checked before quantizing: a huge exponent ("1e40") is beyond Decimal's precision there.
    if value > MAX_RAW_MILLI // 1000:
        return f"读数不能超过 {MAX_RAW_MILLI // 1000}"
    if value != value.quantize(Decimal("0.001")):
        return "读数最多三位小数"
    return int(value * 1000)


def parse_value(text: Any) -> int:
    """`value_or_problem`, refused as energy.reading_invalid."""
    value = value_or_problem(text)
    if isinstance(value, str):
        raise _invalid(value)
    return value


def retention_start(at: datetime, settings: EnergySettings) -> datetime:
    """Raw readings before this are (or will be) purged."""
    return at - timedelta(days=settings.raw_retention_days)


def checked_moment(typed: datetime, settings: EnergySettings, what: str = "抄表时间") -> str | datetime:
    """A time a person gave for a reading or an event, in business time and whole seconds; or, as
    a string, why it cannot be used: later than now, or before the retention period (the readings
    a re-derivation would need are gone)."""
    at = business_time(typed).astimezone(BUSINESS_TZ).replace(microsecond=0)
    current = now()
    if at > current + _CLOCK_SKEW:
        return f"{what}不能晚于现在"
    if at < retention_start(current, settings):
        return f"{what}早于原始读数的保留期限（{settings.raw_retention_days} 天），不能补录"
    return at


def _checked_rows(rows: Sequence[ReadingIn]) -> None:
    for row in rows:
        if row.slot_at.tzinfo is None or row.read_at.tzinfo is None:
            raise ValueError(f"reading of meter {row.meter_id}: times must be aware")
        if not 0 <= row.raw_milli <= MAX_RAW_MILLI:
            raise ValueError(f"reading of meter {row.meter_id}: register {row.raw_milli} out of range")


async def lock_meters(conn: Any, meter_ids: list[int]) -> dict[int, Any]:
    """Row-lock the meters in id order (two writers never wait on each other crosswise); their
    watermarks as stored. Meters that do not exist are left out."""
    if conn.capabilities.dialect == "postgres":
        found = await sql.rows(
            conn,
            "SELECT id, derived_until FROM energy_meter WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
            meter_ids,
        )
    else:
        found = []
        for meter_id in meter_ids:
            found += await sql.rows(conn, "SELECT id, derived_until FROM energy_meter WHERE id = $1", meter_id)
    return {r["id"]: r["derived_until"] for r in found}


@dataclass
class _Stored:
    """What one meter got from an insert: how many rows, the earliest slot, the newest reading."""

    count: int
    first_slot: datetime
    newest_read_at: datetime
    newest_raw: int
    collected: bool


async def _insert_postgres(
    conn: Any, rows: Sequence[ReadingIn], known: list[int], entered_by: int | None
) -> dict[int, _Stored]:
    await sql.execute(
        conn,
        "CREATE TEMPORARY TABLE energy_reading_in (meter_id integer, slot_at timestamptz, read_at timestamptz, "
        "raw_milli bigint, source varchar(16)) ON COMMIT DROP",
    )
    async with conn.acquire_connection() as raw:
        await raw.copy_records_to_table(
            "energy_reading_in",
            records=[(r.meter_id, r.slot_at, r.read_at, r.raw_milli, r.source) for r in rows],
            columns=("meter_id", "slot_at", "read_at", "raw_milli", "source"),
        )
    # The newest reading of each meter is taken from the rows given (the statement returns only
    # what it inserted per meter): aggregating whole rows in the database costs more.
    found = await sql.rows(
        conn,
        "WITH inserted AS (INSERT INTO energy_reading (meter_id, slot_at, read_at, raw_milli, source, status, "
        "entered_by_id, review_note) SELECT meter_id, slot_at, read_at, raw_milli, source, $1, $2::int, '' "
        "FROM energy_reading_in WHERE meter_id = ANY($3::int[]) ON CONFLICT (meter_id, slot_at) DO NOTHING "
        "RETURNING meter_id, slot_at, source) "
        "SELECT meter_id, count(*) AS n, min(slot_at) AS first_slot, max(slot_at) AS last_slot, "
        "bool_or(source = $4) AS collected FROM inserted GROUP BY meter_id",
        ReadingStatus.VALID.value,
        entered_by,
        known,
        ReadingSource.COLLECTOR.value,
    )
    newest = {(r["meter_id"], r["last_slot"]) for r in found}
    given = {(row.meter_id, row.slot_at): row for row in rows if (row.meter_id, row.slot_at) in newest}
    stored = {}
    for r in found:
        last = given[(r["meter_id"], r["last_slot"])]
        stored[r["meter_id"]] = _Stored(r["n"], r["first_slot"], last.read_at, last.raw_milli, r["collected"])
    return stored


async def _insert_sqlite(
    conn: Any, rows: Sequence[ReadingIn], known: list[int], entered_by: int | None
) -> dict[int, _Stored]:
    stored: dict[int, _Stored] = {}
    wanted = set(known)
    for row in sorted(rows, key=lambda r: (r.meter_id, r.slot_at)):
        if row.meter_id not in wanted:
            continue
        slot_at, read_at = row.slot_at.astimezone(BUSINESS_TZ), row.read_at.astimezone(BUSINESS_TZ)
        inserted = await sql.rows(
            conn,
            "INSERT INTO energy_reading (meter_id, slot_at, read_at, raw_milli, source, status, entered_by_id, "
            "review_note) VALUES ($1, $2, $3, $4, $5, $6, $7, '') ON CONFLICT (meter_id, slot_at) DO NOTHING "
            "RETURNING id",
            row.meter_id,
            slot_at,
            read_at,
            row.raw_milli,
            row.source.value,
            ReadingStatus.VALID.value,
            entered_by,
        )
        if not inserted:
            continue
        collected = row.source == ReadingSource.COLLECTOR
        meter = stored.get(row.meter_id)
        if meter is None:
            stored[row.meter_id] = _Stored(1, slot_at, read_at, row.raw_milli, collected)
        else:
            meter.count += 1
            meter.newest_read_at, meter.newest_raw = read_at, row.raw_milli
            meter.collected = meter.collected or collected
    return stored


async def _note_newest(conn: Any, stored: dict[int, _Stored]) -> None:
    """Each meter's last reading (when newer than the one it has); a collected one also says the
    meter answered."""
    for meter_id, got in sorted(stored.items()):
        comm = ", comm_state = 'online', comm_error = '', comm_failures = 0" if got.collected else ""
        await sql.execute(
            conn,
            f"UPDATE energy_meter SET last_read_at = $1, last_raw_milli = $2{comm} "
            "WHERE id = $3 AND (last_read_at IS NULL OR last_read_at <= $4)",
            got.newest_read_at.astimezone(BUSINESS_TZ),
            got.newest_raw,
            meter_id,
            got.newest_read_at.astimezone(BUSINESS_TZ),
        )


async def _note_newest_postgres(conn: Any, stored: dict[int, _Stored]) -> None:
    ids = sorted(stored)
    await sql.execute(
        conn,
        "UPDATE energy_meter AS m SET last_read_at = u.read_at, last_raw_milli = u.raw, "
        "comm_state = CASE WHEN u.collected THEN 'online' ELSE m.comm_state END, "
        "comm_error = CASE WHEN u.collected THEN '' ELSE m.comm_error END, "
        "comm_failures = CASE WHEN u.collected THEN 0 ELSE m.comm_failures END "
        "FROM unnest($1::int[], $2::timestamptz[], $3::bigint[], $4::bool[]) AS u(id, read_at, raw, collected) "
        "WHERE m.id = u.id AND (m.last_read_at IS NULL OR m.last_read_at <= u.read_at)",
        ids,
        [stored[i].newest_read_at for i in ids],
        [stored[i].newest_raw for i in ids],
        [stored[i].collected for i in ids],
    )


async def _check_not_purged(conn: Any, rows: Sequence[ReadingIn], watermarks: dict[int, Any]) -> None:
    """Refuse readings that land before where a meter's stored readings begin once older ones are
    purged: checked before they are stored, as afterwards they would look like its first ones."""
    earliest: dict[int, datetime] = {}
    for row in rows:
        if row.meter_id in watermarks and (row.meter_id not in earliest or row.slot_at < earliest[row.meter_id]):
            earliest[row.meter_id] = row.slot_at
    for meter_id, first in sorted(earliest.items()):
        watermark = watermarks[meter_id]
        if watermark is None or first > moment(watermark):
            continue
        kept = await derive.purged_from(conn, meter_id)
        if kept is not None and first < kept:
            raise _invalid(derive.purged_problem(first, kept))


async def store(
    conn: Any,
    rows: Sequence[ReadingIn],
    settings: EnergySettings,
    *,
    entered_by: int | None = None,
    fold: bool = False,
) -> dict[int, _Stored]:
    """Insert readings in the caller's transaction, once per meter and slot, and re-derive each
    meter that got one behind its watermark (with `fold`, derive the other meters that got one
    too). Rows of meters that are not registered are not stored. What each meter got."""
    watermarks = await lock_meters(conn, sorted({r.meter_id for r in rows}))
    known = sorted(watermarks)
    if not known:
        return {}
    await _check_not_purged(conn, rows, watermarks)
    if conn.capabilities.dialect == "postgres":
        stored = await _insert_postgres(conn, rows, known, entered_by)
        if stored:
            await _note_newest_postgres(conn, stored)
    else:
        stored = await _insert_sqlite(conn, rows, known, entered_by)
        await _note_newest(conn, stored)
    in_time = []
    for meter_id in sorted(stored):
        watermark, first = watermarks[meter_id], moment(stored[meter_id].first_slot)
        if watermark is not None and first <= moment(watermark):
            await derive.rederive(conn, meter_id, first, settings)
        else:
            in_time.append(meter_id)
    if fold and in_time:
        await derive.fold_new(conn, in_time, settings)
    return stored


async def ingest(rows: Sequence[ReadingIn], *, settings: EnergySettings | None = None) -> int:
    """Store the collector's readings, one per (meter, slot): a slot already stored is left as it
    is. Updates each meter's last reading (the newest) and, for collected readings, marks it
    online. A reading behind a meter's derivation watermark re-derives that meter at once; the
    others wait for `derive`. How many were new."""
    if not rows:
        return 0
    _checked_rows(rows)
    async with in_transaction() as conn:
        stored = await store(conn, rows, settings or DEFAULTS)
    return sum(s.count for s in stored.values())


def view(row: dict) -> dict:
    """A reading as the console and exports show it."""
    status = ReadingStatus(row["status"])
    source = ReadingSource(row["source"])
    return {
        "id": row["id"],
        "meter_id": row["meter_id"],
        "slot_at": moment(row["slot_at"]),
        "read_at": moment(row["read_at"]),
        "raw_milli": row["raw_milli"],
        "value": value_text(row["raw_milli"]),
        "source": source.value,
        "source_label": source.label,
        "status": status.value,
        "status_label": status.label,
        "review_note": row["review_note"],
    }


_VIEW_FIELDS = ("id", "meter_id", "slot_at", "read_at", "raw_milli", "source", "status", "review_note")


async def _reading(conn: Any, reading_id: int) -> dict | None:
    found = await Reading.filter(id=reading_id).using_db(conn).values(*_VIEW_FIELDS)
    return found[0] if found else None


async def record_manual(
    actor: Actor, meter_id: int, read_at: datetime, value_text: str, *, settings: EnergySettings | None = None
) -> dict:
    """A reading a person took (人工抄表), on any meter: stored as read at `read_at`, derived at
    once (behind the watermark it re-derives the meter from there), audited. A second reading of
    the same meter at the same moment is refused (energy.reading_duplicate)."""
    settings = settings or DEFAULTS
    raw = parse_value(value_text)
    at = checked_moment(read_at, settings)
    if isinstance(at, str):
        raise _invalid(at)
    async with in_transaction() as conn:
        code = await Meter.filter(id=meter_id).using_db(conn).values_list("code", flat=True)
        if not code:
            raise EnergyError.METER_NOT_FOUND.error()
        row = ReadingIn(meter_id, at, at, raw, ReadingSource.MANUAL)
        if not await store(conn, [row], settings, entered_by=actor.admin_id, fold=True):
            raise EnergyError.READING_DUPLICATE.error(at=f"{at:%Y-%m-%d %H:%M:%S}")
        found = await Reading.filter(meter_id=meter_id, slot_at=at).using_db(conn).values(*_VIEW_FIELDS)
        reading = view(found[0])
        await record(
            conn,
            actor,
            "energy.record_reading",
            "reading",
            reading["id"],
            after={"meter": code[0], "read_at": at.isoformat(), "value": reading["value"]},
        )
    return reading


async def review(
    actor: Actor, reading_id: int, accept: bool, note: str, *, settings: EnergySettings | None = None
) -> dict:
    """A person's decision on a held reading: accepted it counts, rejected it stays skipped (the
    next reading's difference carries its interval either way); the meter is re-derived from it.
    A backward reading cannot be accepted as such: the reset, replacement or CT change that
    explains it is recorded instead (energy.reading_backward_needs_event), or it is rejected."""
    settings = settings or DEFAULTS
    note = (note or "").strip()
    if not 1 <= len(note) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    async with in_transaction() as conn:
        found = await _reading(conn, reading_id)
        if found is None:
            raise EnergyError.READING_NOT_FOUND.error()
        await lock_meters(conn, [found["meter_id"]])
        found = await _reading(conn, reading_id)
        assert found is not None
        status = ReadingStatus(found["status"])
        if status not in HELD:
            raise EnergyError.READING_NOT_HELD.error()
        if accept and status == ReadingStatus.HELD_BACKWARD:
            raise EnergyError.READING_BACKWARD_NEEDS_EVENT.error()
        slot_at = moment(found["slot_at"])
        if slot_at < retention_start(now(), settings):
            raise _invalid(f"读数早于原始读数的保留期限（{settings.raw_retention_days} 天），不能再复核")
        decided = ReadingStatus.ACCEPTED if accept else ReadingStatus.REJECTED
        await (
            Reading.filter(id=reading_id)
            .using_db(conn)
            .update(status=decided, reviewed_by_id=actor.admin_id, review_note=note)
        )
        await derive.rederive(conn, found["meter_id"], slot_at, settings)
        await record(
            conn,
            actor,
            "energy.review_reading",
            "reading",
            reading_id,
            before={"status": status.value, "status_label": status.label},
            after={"status": decided.value, "status_label": decided.label, "reason": note},
        )
        after = await _reading(conn, reading_id)
        assert after is not None
    return view(after)


async def _meters_in_scope(scope_unit_ids: list[int]) -> list[int]:
    """Meters of the units, or shared with any of them."""
    return await (
        Meter.filter(Q(unit_id__in=scope_unit_ids) | Q(shares__unit_id__in=scope_unit_ids))
        .distinct()
        .values_list("id", flat=True)
    )


async def held_readings(scope_unit_ids: list[int] | None) -> list[dict]:
    """Readings waiting for review (oldest first, at most MAX_HELD_LISTED) of meters of the units
    in scope (all when None), each with its meter and the last counted reading before it, which
    is what it was compared with."""
    held = Reading.filter(status__in=HELD)
    if scope_unit_ids is not None:
        held = held.filter(meter_id__in=await _meters_in_scope(scope_unit_ids))
    found = (
        await held.order_by("slot_at", "id")
        .limit(MAX_HELD_LISTED)
        .values(*_VIEW_FIELDS, "meter__code", "meter__name", "meter__kind")
    )
    listed = []
    for row in found:
        item = view(row) | {"meter_code": row["meter__code"], "meter_name": row["meter__name"]}
        item["kind"] = row["meter__kind"]
        before = (
            await Reading.filter(
                meter_id=row["meter_id"],
                slot_at__lt=item["slot_at"],
                status__in=(ReadingStatus.VALID, ReadingStatus.ACCEPTED),
            )
            .order_by("-slot_at")
            .first()
            .values("slot_at", "raw_milli")
        )
        item["previous_slot_at"] = moment(before["slot_at"]) if before else None
        item["previous_value"] = value_text(before["raw_milli"]) if before else ""
        listed.append(item)
    return listed


async def recent_readings(meter_id: int, limit: int = 96) -> list[dict]:
    """The meter's newest readings, newest first."""
    found = await Reading.filter(meter_id=meter_id).order_by("-slot_at").limit(max(1, limit)).values(*_VIEW_FIELDS)
    return [view(row) for row in found]


async def _purge_meter(conn: Any, meter_id: int, cutoff: datetime) -> int:
    """Delete the meter's raw readings before `cutoff` that no re-derivation of the retained
    period can need: it keeps, from the last counted reading before the cutoff (or before its
    watermark), the last counted reading at or before that one's hour, which is where a
    re-derivation would start, and the SPIKE_HISTORY counted readings before that one, whose
    intervals the fold's spike median is taken from."""
    locked = await sql.row(conn, "SELECT derived_until FROM energy_meter WHERE id = $1 FOR UPDATE", meter_id)
    if locked is None or locked["derived_until"] is None:
        return 0
    watermark = moment(locked["derived_until"])
    limit = min(cutoff, watermark + timedelta(microseconds=1))
    last = await sql.row(
        conn,
        f"SELECT max(slot_at) AS slot_at FROM energy_reading WHERE meter_id = $1 AND {counted()} AND slot_at < $2",
        meter_id,
        limit,
    )
    if last is None or last["slot_at"] is None:
        return 0
    last_at = epoch(last["slot_at"])
    start = await sql.row(
        conn,
        f"SELECT max(slot_at) AS slot_at FROM energy_reading WHERE meter_id = $1 AND {counted()} AND slot_at <= $2",
        meter_id,
        at_epoch(last_at - last_at % HOUR),
    )
    if start is None or start["slot_at"] is None:
        return 0
    history = await sql.row(
        conn,
        f"SELECT min(slot_at) AS slot_at FROM (SELECT slot_at FROM energy_reading WHERE meter_id = $1 "
        f"AND {counted()} AND slot_at < $2 ORDER BY slot_at DESC LIMIT $3) AS h",
        meter_id,
        moment(start["slot_at"]),
        SPIKE_HISTORY,
    )
    keep_from = history["slot_at"] if history and history["slot_at"] is not None else start["slot_at"]
    return await sql.execute(
        conn, "DELETE FROM energy_reading WHERE meter_id = $1 AND slot_at < $2", meter_id, moment(keep_from)
    )


async def purge_raw(now: datetime, settings: EnergySettings) -> int:
    """Delete raw readings older than ENERGY_RAW_RETENTION_DAYS (the rollups stay), never one
    after a meter's watermark nor the ones a re-derivation of the retained period starts from.
    One meter at a time under its row lock. How many were deleted."""
    cutoff = retention_start(now, settings).astimezone(BUSINESS_TZ)
    meter_ids = await Meter.filter(derived_until__isnull=False).order_by("id").values_list("id", flat=True)
    deleted = 0
    for meter_id in meter_ids:
        async with in_transaction() as conn:
            deleted += await _purge_meter(conn, meter_id, cutoff)
    return deleted
