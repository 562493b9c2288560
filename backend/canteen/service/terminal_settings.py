"""What a terminal needs to know to take a payment, read once and cached briefly per process.

A payment at the lunch rush must not spend its time re-reading the canteen's periods and
prices; a change made in the console reaches every terminal within CACHE_SECONDS.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime, time

from backend.accounts.service.people import StaffCategory
from backend.canteen.errors import CanteenError
from backend.canteen.models import DinerCategory, Terminal, TerminalMode

CACHE_SECONDS = 5.0


def minute_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def clock_time(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True)
class PeriodConfig:
    code: str
    name: str
    starts_minute: int
    ends_minute: int
    max_swipes: int
    prices: dict[DinerCategory, tuple[int, int]]  # category -> (price_fen, subsidy_cap_fen)

    def contains(self, moment: time) -> bool:
        return self.starts_minute <= minute_of(moment) < self.ends_minute

    def price_for(self, staff_category: StaffCategory) -> tuple[int | None, int]:
        """(price, subsidy cap) for a diner of this staff category; no price if none is set."""
        return self.prices.get(diner_category(staff_category), (None, 0))


@dataclass(frozen=True)
class TerminalConfig:
    terminal_id: int
    canteen_id: int
    canteen_code: str
    canteen_name: str
    mode: TerminalMode
    max_payment_fen: int
    offline_max_payment_fen: int
    offline_max_count_per_card: int
    periods: tuple[PeriodConfig, ...]

    def period_at(self, moment: datetime) -> PeriodConfig | None:
        return next((p for p in self.periods if p.contains(moment.time())), None)


_DINER_CATEGORIES = {StaffCategory.OUTSOURCED: DinerCategory.CONTRACTOR, StaffCategory.VISITOR: DinerCategory.VISITOR}


def diner_category(staff_category: StaffCategory) -> DinerCategory:
    """The price a person eats at: 在编 and 聘用 staff price, 外包 contractor, 访客 visitor."""
    return _DINER_CATEGORIES.get(staff_category, DinerCategory.STAFF)


_cache: dict[int, tuple[float, TerminalConfig]] = {}


async def terminal_config(device_id: int) -> TerminalConfig:
    cached = _cache.get(device_id)
    if cached and cached[0] > clock.monotonic():
        return cached[1]
    terminal = await Terminal.get_or_none(device_id=device_id).select_related("canteen")
    if terminal is None:
        raise CanteenError.NOT_A_TERMINAL.error()
    canteen = terminal.canteen
    periods = await canteen.periods.all().prefetch_related("prices").order_by("starts_minute")
    config = TerminalConfig(
        terminal_id=terminal.id,
        canteen_id=canteen.id,
        canteen_code=canteen.code,
        canteen_name=canteen.name,
        mode=terminal.mode,
        max_payment_fen=canteen.max_payment_fen,
        offline_max_payment_fen=canteen.offline_max_payment_fen,
        offline_max_count_per_card=canteen.offline_max_count_per_card,
        periods=tuple(
            PeriodConfig(
                code=p.code,
                name=p.name,
                starts_minute=p.starts_minute,
                ends_minute=p.ends_minute,
                max_swipes=p.max_swipes_per_card,
                prices={r.diner_category: (r.price_fen, r.subsidy_cap_fen) for r in p.prices},
            )
            for p in periods
        ),
    )
    _cache[device_id] = (clock.monotonic() + CACHE_SECONDS, config)
    return config


def forget_cached_config() -> None:
    """After a console change, so this process sees it at once (others within CACHE_SECONDS)."""
    _cache.clear()
