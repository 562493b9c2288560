"""Tariffs: what a valid time-of-use tariff is, and pricing: energy spread over the bands by time,
whole Wh per band summing to the total, half-up rounding of fen, the season by the month, a
register going backwards skipped; a new version is audited and in force from its time."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from backend.charging.models import Tariff
from backend.charging.service import tariffs
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from tests.fixtures.charging import SEASONS, SERVICE_FEE

ADMIN = Actor(admin_id=None, name="财务")


def _tariff(seasons=SEASONS, fee=SERVICE_FEE):
    return SimpleNamespace(seasons=seasons, service_fee_fen_per_kwh=fee)


def _moment(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BUSINESS_TZ)


def _problem(seasons, fee=SERVICE_FEE) -> str:
    with pytest.raises(AppError) as refused:
        tariffs.validate(seasons, fee)
    assert refused.value.code == "charging.tariff_invalid"
    return refused.value.message


def test_a_whole_year_tariff_is_accepted_with_its_periods_in_order():
    shuffled = copy.deepcopy(SEASONS)
    shuffled[0]["periods"].reverse()
    checked = tariffs.validate(shuffled, SERVICE_FEE)
    assert [p["from"] for p in checked[0]["periods"]] == ["00:00", "08:00", "11:00", "18:00", "21:00"]
    assert checked[0]["months"] == list(range(1, 13))


def _with(change) -> list[dict]:
    seasons = copy.deepcopy(SEASONS)
    change(seasons[0])
    return seasons


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda s: s.update(months=list(range(1, 12))), "12 月不属于任何季节"),
        (lambda s: s["periods"].pop(2), "11:00-18:00 不属于任何时段"),
        (lambda s: s["periods"].pop(), "21:00-24:00 不属于任何时段"),
        (lambda s: s["periods"][1].update({"from": "07:00"}), "与前一时段重叠"),
        (lambda s: s["periods"][1].update({"to": "8:00"}), "应为 HH:MM"),
        (lambda s: s["periods"][1].update({"to": "08:00"}), "结束应晚于开始"),
        (lambda s: s["prices"].update(peak=1001), "0 到 1000 之间的整数"),
        (lambda s: s["prices"].update(peak=1.5), "0 到 1000 之间的整数"),
        (lambda s: s["prices"].update(peak=True), "0 到 1000 之间的整数"),
        (lambda s: s["prices"].update(offpeak=10), "时段类型“offpeak”不存在"),
        (lambda s: s["prices"].pop("valley"), "没有对应电价"),
        (lambda s: s.update(name=""), "名称应为 1 到 20 个字"),
        (lambda s: s.update(months=[0, *range(1, 13)]), "应为 1 到 12"),
    ],
)
def test_a_tariff_with_a_hole_an_overlap_or_a_bad_price_is_refused_in_words(change, words):
    assert words in _problem(_with(change))


def test_a_month_in_two_seasons_is_refused():
    summer = {**copy.deepcopy(SEASONS[0]), "name": "夏季", "months": [7, 8]}
    assert "7 月同时属于“全年”和“夏季”" in _problem([SEASONS[0], summer])


def test_a_service_fee_outside_0_to_1000_fen_is_refused():
    assert "服务费" in _problem(SEASONS, fee=-1)
    assert "服务费" in _problem(SEASONS, fee=1001)


def test_energy_within_one_period_is_priced_at_its_band():
    priced = tariffs.price(_tariff(), [(_moment(3, 1, 1), 5_000), (_moment(3, 1, 3), 15_000)])
    assert priced.bands == {"valley": 10_000}
    assert (priced.energy_wh, priced.energy_fen, priced.service_fen, priced.amount_fen) == (10_000, 300, 400, 700)


def test_energy_across_a_boundary_is_split_by_the_time_spent_in_each_band():
    priced = tariffs.price(_tariff(), [(_moment(3, 1, 7), 0), (_moment(3, 1, 9), 2_000)])
    assert priced.bands == {"peak": 1_000, "valley": 1_000}
    assert priced.energy_fen == 140  # 1 kWh × 30 + 1 kWh × 110


def test_band_energy_is_whole_wh_summing_exactly_to_the_total():
    # 1 h valley, 2 h peak: 333.33… and 666.66… Wh, the larger remainder takes the odd Wh
    priced = tariffs.price(_tariff(), [(_moment(3, 1, 7), 0), (_moment(3, 1, 10), 1_000)])
    assert priced.bands == {"peak": 667, "valley": 333}
    # a tie (500.5 each) is settled the same way every time
    tied = tariffs.price(_tariff(), [(_moment(3, 1, 7), 0), (_moment(3, 1, 9), 1_001)])
    assert sum(tied.bands.values()) == 1_001
    assert tied.bands == tariffs.price(_tariff(), [(_moment(3, 1, 7), 0), (_moment(3, 1, 9), 1_001)]).bands


def test_many_samples_across_a_whole_day_keep_the_total_exact():
    start = _moment(3, 1, 0)
    samples = [(start + timedelta(minutes=7 * i), 13 * i * i) for i in range(206)]
    priced = tariffs.price(_tariff(), samples)
    assert priced.energy_wh == samples[-1][1]
    assert sum(priced.bands.values()) == priced.energy_wh
    assert set(priced.bands) == {"peak", "flat", "valley"}


def test_fen_are_rounded_half_up():
    flat = [{**SEASONS[0], "prices": {"flat": 70}, "periods": [{"from": "00:00", "to": "24:00", "band": "flat"}]}]
    priced = tariffs.price(_tariff(flat, fee=1), [(_moment(3, 1, 12), 0), (_moment(3, 1, 13), 1_550)])
    assert priced.energy_fen == 109  # 108.5 up
    assert priced.service_fen == 2  # 1.55 up
    below = tariffs.price(_tariff(flat, fee=1), [(_moment(3, 1, 12), 0), (_moment(3, 1, 13), 1_449)])
    assert (below.energy_fen, below.service_fen) == (101, 1)  # 101.43, 1.449


def _two_seasons():
    summer = copy.deepcopy(SEASONS[0])
    summer.update(name="夏季", months=[7, 8], prices={"peak": 150, "flat": 90, "valley": 50})
    rest = copy.deepcopy(SEASONS[0])
    rest.update(name="其他", months=[1, 2, 3, 4, 5, 6, 9, 10, 11, 12])
    return tariffs.validate([rest, summer], SERVICE_FEE)


def test_the_season_is_chosen_by_the_month():
    seasons = _two_seasons()
    july = tariffs.price(_tariff(seasons), [(_moment(7, 10, 9), 0), (_moment(7, 10, 10), 1_000)])
    january = tariffs.price(_tariff(seasons), [(_moment(1, 10, 9), 0), (_moment(1, 10, 10), 1_000)])
    assert (july.energy_fen, january.energy_fen) == (150, 110)


def test_a_night_across_the_end_of_a_season_pays_each_season_its_price():
    seasons = _two_seasons()
    priced = tariffs.price(_tariff(seasons), [(_moment(6, 30, 23), 0), (_moment(7, 1, 1), 2_000)])
    # 23:00-24:00 flat of June (70), 00:00-01:00 valley of July (50)
    assert priced.bands == {"flat": 1_000, "valley": 1_000}
    assert priced.energy_fen == 120


def test_a_register_going_backwards_is_skipped():
    samples = [(_moment(3, 1, 1), 0), (_moment(3, 1, 2), 1_000), (_moment(3, 1, 3), 400), (_moment(3, 1, 4), 1_500)]
    priced = tariffs.price(_tariff(), samples)
    assert priced.energy_wh == 1_500
    assert priced.bands == {"valley": 1_500}


def test_no_energy_costs_nothing():
    priced = tariffs.price(_tariff(), [(_moment(3, 1, 1), 800)])
    assert (priced.energy_wh, priced.bands, priced.amount_fen) == (0, {}, 0)


async def test_a_new_version_is_audited_and_in_force_from_its_time(charging_world):
    start = now() + timedelta(hours=2)
    view = await tariffs.create_version(ADMIN, " 2027 年电价 ", start, 50, _two_seasons())
    assert view["name"] == "2027 年电价"
    entry = await AuditEntry.get(action="charging.create_tariff")
    assert (entry.object_type, entry.object_id) == ("tariff", str(view["id"]))
    assert (await tariffs.in_force(now())).id == charging_world.tariff.id
    assert (await tariffs.in_force(start + timedelta(seconds=1))).id == view["id"]


async def test_a_version_starting_in_the_past_or_invalid_is_not_created(charging_world):
    with pytest.raises(AppError) as refused:
        await tariffs.create_version(ADMIN, "补录", now() - timedelta(hours=1), 50, SEASONS)
    assert "生效时间不能早于现在" in refused.value.message
    with pytest.raises(AppError):
        await tariffs.create_version(ADMIN, "", now(), 50, SEASONS)
    with pytest.raises(AppError):
        await tariffs.create_version(ADMIN, "缺月份", now(), 50, _with(lambda s: s.update(months=[1])))
    assert await Tariff.all().count() == 1
    assert not await AuditEntry.filter(action="charging.create_tariff").exists()
