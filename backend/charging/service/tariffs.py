"""Time-of-use tariffs (分时电价): versions of seasons, each with its months, its price per kWh
for each band (尖峰/峰/平/谷) and the periods of its day, plus a service fee per kWh; and
`price`, the one pricing function, used for a session's running cost and for its bill alike, so
the cost a cadre watches and the bill they pay never disagree."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from fractions import Fraction
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from backend.charging.errors import ChargingError
from backend.charging.models import Band, Tariff
from backend.core import sql
from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ, now

MAX_PRICE_FEN = 1000
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
END_OF_DAY = "24:00"
# A form submitted a few seconds after the minute it named is not "in the past".
_GRACE = timedelta(minutes=1)


def _invalid(problem: str) -> Exception:
    return ChargingError.TARIFF_INVALID.error(problem=problem)


def _minutes(text: Any, where: str) -> int:
    if text == END_OF_DAY:
        return 24 * 60
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if match is None:
        raise _invalid(f"{where}的时刻“{text}”应为 HH:MM")
    return int(match[1]) * 60 + int(match[2])


def _fen(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRICE_FEN:
        raise _invalid(f"{what}应为 0 到 {MAX_PRICE_FEN} 之间的整数（分/千瓦时）")
    return value


def _season(raw: Any, index: int, months_seen: dict[int, str]) -> dict:
    if not isinstance(raw, dict):
        raise _invalid(f"第 {index} 个季节格式不对")
    name = raw.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 20:
        raise _invalid(f"第 {index} 个季节的名称应为 1 到 20 个字")
    name = name.strip()
    months = raw.get("months")
    if not isinstance(months, list) or not months:
        raise _invalid(f"季节“{name}”没有月份")
    for month in months:
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise _invalid(f"季节“{name}”的月份“{month}”应为 1 到 12")
        if month in months_seen:
            raise _invalid(f"{month} 月同时属于“{months_seen[month]}”和“{name}”")
        months_seen[month] = name
    prices = raw.get("prices")
    if not isinstance(prices, dict) or not prices:
        raise _invalid(f"季节“{name}”没有电价")
    bands = {b.value: b for b in Band}
    for band, value in prices.items():
        if band not in bands:
            raise _invalid(f"季节“{name}”的时段类型“{band}”不存在")
        _fen(value, f"季节“{name}”{bands[band].label}时段的电价")
    periods = raw.get("periods")
    if not isinstance(periods, list) or not periods:
        raise _invalid(f"季节“{name}”没有时段")
    parsed = []
    for period in periods:
        if not isinstance(period, dict):
            raise _invalid(f"季节“{name}”的时段格式不对")
        start = _minutes(period.get("from"), f"季节“{name}”")
        end = _minutes(period.get("to"), f"季节“{name}”")
        band = period.get("band")
        if band not in prices:
            raise _invalid(f"季节“{name}”的时段 {period.get('from')}-{period.get('to')} 没有对应电价")
        if start >= end:
            raise _invalid(f"季节“{name}”的时段 {period['from']}-{period['to']} 结束应晚于开始")
        parsed.append((start, end, {"from": period["from"], "to": period["to"], "band": band}))
    parsed.sort(key=lambda p: p[0])
    reached = 0
    for start, end, period in parsed:
        if start < reached:
            raise _invalid(f"季节“{name}”的时段 {period['from']}-{period['to']} 与前一时段重叠")
        if start > reached:
            raise _invalid(f"季节“{name}”的 {_clock(reached)}-{period['from']} 不属于任何时段")
        reached = end
    if reached != 24 * 60:
        raise _invalid(f"季节“{name}”的 {_clock(reached)}-24:00 不属于任何时段")
    return {
        "name": name,
        "months": sorted(months),
        "prices": {band: prices[band] for band in bands if band in prices},
        "periods": [p for *_, p in parsed],
    }


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def validate(seasons: list[dict], service_fee_fen_per_kwh: int) -> list[dict]:
    """The seasons as stored (months sorted, periods in order), or TARIFF_INVALID naming the
    first problem: every month in exactly one season, each season's day covered from 00:00 to
    24:00 without gaps or overlaps, every price and the service fee an integer 0..1000 fen/kWh."""
    _fen(service_fee_fen_per_kwh, "服务费")
    if not isinstance(seasons, list) or not seasons:
        raise _invalid("至少需要一个季节")
    months_seen: dict[int, str] = {}
    checked = [_season(raw, i + 1, months_seen) for i, raw in enumerate(seasons)]
    missing = [m for m in range(1, 13) if m not in months_seen]
    if missing:
        raise _invalid(f"{'、'.join(str(m) for m in missing)} 月不属于任何季节")
    return checked


def tariff_view(tariff: Tariff) -> dict:
    return {
        "id": tariff.id,
        "name": tariff.name,
        "effective_from": tariff.effective_from.isoformat(),
        "service_fee_fen_per_kwh": tariff.service_fee_fen_per_kwh,
        "seasons": tariff.seasons,
    }


async def create_version(
    actor: Actor, name: str, effective_from: datetime, service_fee_fen_per_kwh: int, seasons: list[dict]
) -> dict:
    """A new tariff version, in force from `effective_from` (now or later: sessions already
    started keep the version they started under)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise _invalid("名称应为 1 到 100 个字")
    if effective_from.tzinfo is None:
        effective_from = effective_from.replace(tzinfo=BUSINESS_TZ)
    if effective_from < now() - _GRACE:
        raise _invalid("生效时间不能早于现在")
    checked = validate(seasons, service_fee_fen_per_kwh)
    async with in_transaction() as conn:
        tariff = await Tariff.create(
            name=name,
            effective_from=effective_from,
            service_fee_fen_per_kwh=service_fee_fen_per_kwh,
            seasons=checked,
            created_by_id=actor.admin_id,
            using_db=conn,
        )
        view = tariff_view(tariff)
        await record(conn, actor, "charging.create_tariff", "tariff", tariff.id, after=view)
    return view


# A version is never changed once written (a new price is a new version), so a worker keeps each
# one it has read: every MeterValues of a session is priced by its version.
_versions: dict[int, Tariff] = {}


async def version(tariff_id: int, conn: Any = None) -> Tariff:
    """The tariff version `tariff_id` (a session's own)."""
    found = _versions.get(tariff_id)
    if found is None:
        query = Tariff.get(id=tariff_id)
        found = await (query.using_db(conn) if conn is not None else query)
        _versions[tariff_id] = found
    return found


def forget() -> None:
    """Forget the versions read (the tests empty the tables between tests)."""
    _versions.clear()


async def in_force(at: datetime) -> Tariff | None:
    """The version in force at `at`: the latest to take effect by then."""
    found = await sql.row(
        connections.get("default"),
        "SELECT * FROM charging_tariff WHERE effective_from <= $1 ORDER BY effective_from DESC, id DESC LIMIT 1",
        *sql.db_values(Tariff, effective_from=sql.python_value(Tariff, "effective_from", at)),
    )
    if found is None:
        return None
    tariff = Tariff._init_from_db(**found)
    _versions.setdefault(tariff.id, tariff)
    return tariff


@dataclass(frozen=True)
class Priced:
    energy_wh: int
    bands: dict[str, int]  # Wh per band, summing to energy_wh
    energy_fen: int
    service_fen: int
    amount_fen: int


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _period_at(seasons: list[dict], moment: datetime) -> tuple[int, str, datetime]:
    """The season (its index) and band in force at `moment`, and when that period ends."""
    local = moment.astimezone(BUSINESS_TZ)
    index = next(i for i, s in enumerate(seasons) if local.month in s["months"])
    minute = local.hour * 60 + local.minute
    for period in seasons[index]["periods"]:
        if _minutes(period["from"], "") <= minute < _minutes(period["to"], ""):
            day_start = datetime.combine(local.date(), time.min, BUSINESS_TZ)
            return index, period["band"], day_start + timedelta(minutes=_minutes(period["to"], ""))
    raise ValueError(f"tariff leaves {local} uncovered")  # validate() makes this impossible


Slot = tuple[int, str]  # (season index, band): a price


def _spread(seasons: list[dict], start: datetime, end: datetime, energy: int, into: dict[Slot, Fraction]) -> None:
    """Add `energy` Wh drawn between start and end to the slots, in proportion to the time spent
    in each (exact fractions: rounded once, at the end)."""
    if end <= start:
        season, band, _ = _period_at(seasons, start)
        into[(season, band)] += energy
        return
    total = Fraction((end - start).total_seconds())
    cursor = start
    while cursor < end:
        season, band, period_end = _period_at(seasons, cursor)
        piece_end = min(period_end, end)
        into[(season, band)] += energy * Fraction((piece_end - cursor).total_seconds()) / total
        cursor = piece_end


def _largest_remainder(shares: dict[Slot, Fraction], total: int) -> dict[Slot, int]:
    """Whole Wh per slot summing exactly to `total`: floors, then one more Wh to the slots with
    the largest remainders (ties in slot order, so the result is the same every time)."""
    whole = {slot: int(share) for slot, share in shares.items()}
    left = total - sum(whole.values())
    for slot in sorted(shares, key=lambda s: (-(shares[s] - whole[s]), s))[:left]:
        whole[slot] += 1
    return whole


def price(tariff: Tariff, samples: list[tuple[datetime, int]]) -> Priced:
    """The cost of the energy between the first sample (the start) and the last, each sample
    (time, register Wh). A register that went backwards is not energy and is skipped."""
    seasons = tariff.seasons
    kept: list[tuple[datetime, int]] = []
    for at, register in sorted(samples, key=lambda s: s[0]):
        if not kept or register >= kept[-1][1]:
            kept.append((at, register))
    shares: dict[Slot, Fraction] = defaultdict(Fraction)
    for (start, before), (end, after) in zip(kept, kept[1:], strict=False):
        if after > before:
            _spread(seasons, start, end, after - before, shares)
    total = kept[-1][1] - kept[0][1] if kept else 0
    whole = _largest_remainder(shares, total)
    energy_fen = half_up(sum(wh * seasons[season]["prices"][band] for (season, band), wh in whole.items()), 1000)
    service_fen = half_up(total * tariff.service_fee_fen_per_kwh, 1000)
    per_band: dict[str, int] = defaultdict(int)
    for (_, band), wh in whole.items():
        per_band[band] += wh
    bands = {b.value: per_band[b.value] for b in Band if per_band.get(b.value)}
    return Priced(total, bands, energy_fen, service_fen, energy_fen + service_fen)
