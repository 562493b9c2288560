"""Quotas: typed amounts checked and kept in thousandths, one quota per kind and month (set again,
replaced and audited), the quota in force for a month is the latest effective by then."""

from __future__ import annotations

from datetime import date

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.energy.models import MeterKind, Quota
from backend.energy.service import quotas
from tests.fixtures.energy import this_month


def later(months: int) -> date:
    month = this_month()
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def test_typed_amounts_are_thousandths_and_read_back_the_same():
    assert [quotas.parse_milli(t) for t in ("1200", "35.5", "0.125", " 1,000 ")] == [1_200_000, 35_500, 125, 1_000_000]
    assert quotas.parse_milli("-80.25", signed=True) == -80_250
    assert [quotas.milli_text(m) for m in (1_200_000, 35_500, 125, -80_250, 0)] == [
        "1200",
        "35.5",
        "0.125",
        "-80.25",
        "0",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "请填写"),
        ("abc", "不是数字"),
        ("NaN", "不是数字"),
        ("-1", "负数"),
        ("1.2345", "三位小数"),
        ("1e30", "不能超过"),
    ],
)
def test_a_bad_amount_is_refused_in_words(text, problem):
    with pytest.raises(ValueError, match=problem):
        quotas.parse_milli(text)


async def test_setting_a_months_quota_again_replaces_it_and_both_are_audited(app):
    first = await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "300", "")
    second = await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "280.5", "1.2")

    assert first["id"] == second["id"]
    assert (second["per_person"], second["per_m2"], second["per_person_milli"]) == ("280.5", "1.2", 280_500)
    entries = await AuditEntry.filter(action="energy.set_quota").order_by("id")
    assert [e.before for e in entries] == [
        None,
        {
            "kind": "electricity",
            "kind_label": "电",
            "effective_from": this_month().isoformat(),
            "per_person": "300 千瓦时",
            "per_m2": "0 千瓦时",
        },
    ]
    assert {(e.object_type, e.object_id) for e in entries} == {("energy_quota", str(first["id"]))}
    assert await Quota.all().count() == 1


def test_a_budget_of_0_is_not_managed_so_it_is_never_used_up():
    assert quotas.percent_of(500, 0) == 0 and quotas.percent_of(0, 0) == 0
    assert quotas.percent_of(799, 1000) == 79 and quotas.percent_of(1200, 1000) == 120


async def test_the_quota_in_force_is_the_latest_effective_by_the_month(app):
    await quotas.set_quota(CLI_ACTOR, MeterKind.WATER, this_month(), "3", "")
    await quotas.set_quota(CLI_ACTOR, MeterKind.WATER, later(2), "2.8", "")

    assert (await quotas.quota_for(MeterKind.WATER, later(1))).per_person_milli == 3_000
    assert (await quotas.quota_for(MeterKind.WATER, later(5))).per_person_milli == 2_800
    assert await quotas.quota_for(MeterKind.WATER, later(-1)) is None
    assert await quotas.quota_for(MeterKind.GAS, later(1)) is None
    assert [q["effective_from"] for q in await quotas.quotas()] == [later(2).isoformat(), this_month().isoformat()]


@pytest.mark.parametrize(
    ("month", "per_person", "per_m2"),
    [
        (lambda: this_month().replace(day=2), "10", ""),
        (lambda: later(-1), "10", ""),
        (lambda: this_month(), "0", ""),
        (lambda: this_month(), "10", "-1"),
        (lambda: this_month(), "十", ""),
    ],
)
async def test_a_bad_quota_is_refused_and_nothing_is_kept(app, month, per_person, per_m2):
    with pytest.raises(AppError) as refused:
        await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, month(), per_person, per_m2)
    assert refused.value.code == "energy.quota_invalid"
    assert await Quota.all().count() == 0
