"""Energy quotas (用能定额): for each kind, the monthly amount allowed per person on the
establishment (在编) and, where set, per m² of a unit's rooms, from a month on. A unit's budget for
a month is computed from the quota in force that month (see `budgets.ensure_month`).

Amounts are typed by people in the kind's unit of measure (千瓦时, 立方米, 吉焦) with up to three
decimals and kept in thousandths of it; `parse_milli` and `milli_text` are that conversion, both
ways, for every amount this module's budgets take or show."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.timeutil import plausible, today
from backend.energy.errors import EnergyError
from backend.energy.models import MEASURE, MeterKind, Quota

# A million units (kWh, m³, GJ) a person or a m² a month is far past any real quota or adjustment,
# and keeps every product of an amount with a headcount or an area well inside a 64-bit integer.
MAX_MILLI = 10**9


def parse_milli(text: str, *, signed: bool = False) -> int:
    """A decimal amount as typed ("1200", "35.5", with `signed` also "+200" or "-80.25") in
    thousandths; raises ValueError with a Chinese description of what is wrong."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "")
    if not cleaned:
        raise ValueError("请填写数量")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"“{text.strip()}”不是数字") from None
    if not value.is_finite():
        raise ValueError(f"“{text.strip()}”不是数字")
    if value < 0 and not signed:
        raise ValueError("不能为负数")
    if abs(value) * 1000 > MAX_MILLI:
        raise ValueError(f"不能超过 {MAX_MILLI // 1000}")
    if value != value.quantize(Decimal("0.001")):
        raise ValueError("最多保留三位小数")
    return int(value * 1000)


def milli_text(milli: int) -> str:
    """Thousandths as a person reads them: "1200", "35.5", "-0.125"."""
    sign = "-" if milli < 0 else ""
    whole, part = divmod(abs(milli), 1000)
    return f"{sign}{whole}.{part:03d}".rstrip("0") if part else f"{sign}{whole}"


def amount_text(kind: MeterKind, milli: int) -> str:
    """An amount with its unit of measure: "1200 千瓦时"."""
    return f"{milli_text(milli)} {MEASURE[kind]}"


def percent_of(used_milli: int, amount_milli: int) -> int:
    """How much of a budget is used, in whole percent rounded down. A budget of 0 is not managed
    (neither warned nor cut, see `budgets`): 0, whatever is used."""
    if amount_milli <= 0:
        return 0
    return used_milli * 100 // amount_milli


def month_of(day: date) -> date:
    return day.replace(day=1)


def quota_view(quota: Quota) -> dict:
    return {
        "id": quota.id,
        "kind": quota.kind.value,
        "kind_label": quota.kind.label,
        "measure": MEASURE[quota.kind],
        "effective_from": quota.effective_from.isoformat(),
        "per_person_milli": quota.per_person_milli,
        "per_m2_milli": quota.per_m2_milli,
        "per_person": milli_text(quota.per_person_milli),
        "per_m2": milli_text(quota.per_m2_milli),
    }


def _audited(quota: Quota) -> dict:
    return {
        "kind": quota.kind.value,
        "kind_label": quota.kind.label,
        "effective_from": quota.effective_from.isoformat(),
        "per_person": amount_text(quota.kind, quota.per_person_milli),
        "per_m2": amount_text(quota.kind, quota.per_m2_milli),
    }


def _invalid(problem: str) -> Exception:
    return EnergyError.QUOTA_INVALID.error(problem=problem)


def _amount(text: str, what: str, *, optional: bool = False) -> int:
    if optional and not (text or "").strip():
        return 0
    try:
        return parse_milli(text)
    except ValueError as problem:
        raise _invalid(f"{what}：{problem}") from None


async def set_quota(
    actor: Actor, kind: MeterKind, effective_from: date, per_person_text: str, per_m2_text: str
) -> dict:
    """The quota of `kind` from the month `effective_from` on (its first day); the quota already
    set for that month is replaced. Months already begun before this one are not changed: their
    budgets were computed from the quota then in force. Audited."""
    try:
        kind = MeterKind(kind)
    except ValueError:
        raise _invalid("能源种类不存在") from None
    if effective_from.day != 1 or not plausible(effective_from):
        raise _invalid("生效月份须为 2000 至 2100 年间某月的 1 日")
    if effective_from < month_of(today()):
        raise _invalid("不能修改已过去月份的定额")
    per_person = _amount(per_person_text, "人均定额")
    per_m2 = _amount(per_m2_text, "每平方米定额", optional=True)
    if per_person == 0 and per_m2 == 0:
        raise _invalid("人均定额与每平方米定额不能都为 0")
    async with in_transaction() as conn:
        quota = await Quota.filter(kind=kind, effective_from=effective_from).using_db(conn).select_for_update().first()
        before = _audited(quota) if quota else None
        if quota is None:
            quota = await Quota.create(
                kind=kind,
                effective_from=effective_from,
                per_person_milli=per_person,
                per_m2_milli=per_m2,
                using_db=conn,
            )
        else:
            quota.per_person_milli, quota.per_m2_milli = per_person, per_m2
            await quota.save(using_db=conn, update_fields=["per_person_milli", "per_m2_milli"])
        await record(conn, actor, "energy.set_quota", "energy_quota", quota.id, before, _audited(quota))
    return quota_view(quota)


async def quotas() -> list[dict]:
    """Every quota, by kind and then newest month first."""
    rows = await Quota.all().order_by("kind", "-effective_from")
    return [quota_view(q) for q in rows]


async def quota_for(kind: MeterKind, month: date) -> Quota | None:
    """The quota of `kind` in force in `month` (the latest one effective by then), None if none."""
    return await Quota.filter(kind=kind, effective_from__lte=month_of(month)).order_by("-effective_from").first()
