"""STAND-IN (helper budgets writes the real file): the monthly quotas by kind."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from backend.core.audit import Actor
from backend.energy.errors import EnergyError
from backend.energy.models import MEASURE, MeterKind, Quota


def _milli(text: str, required: bool) -> int:
    if not text.strip() and not required:
        return 0
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise EnergyError.QUOTA_INVALID.error(problem="定额应为数字，最多 3 位小数") from None
    if not value.is_finite() or value < 0:
        raise EnergyError.QUOTA_INVALID.error(problem="定额不能为负")
    return int(value * 1000)


async def set_quota(
    actor: Actor, kind: MeterKind, effective_from: date, per_person_text: str, per_m2_text: str
) -> dict:
    if effective_from.day != 1:
        raise EnergyError.QUOTA_INVALID.error(problem="生效月份应为某月 1 日")
    quota, _ = await Quota.update_or_create(
        kind=kind,
        effective_from=effective_from,
        defaults={"per_person_milli": _milli(per_person_text, True), "per_m2_milli": _milli(per_m2_text, False)},
    )
    return _view(quota)


def _view(quota: Quota) -> dict:
    return {
        "id": quota.id,
        "kind": quota.kind.value,
        "kind_label": quota.kind.label,
        "measure": MEASURE[quota.kind],
        "effective_from": quota.effective_from,
        "per_person_milli": quota.per_person_milli,
        "per_m2_milli": quota.per_m2_milli,
    }


async def quotas() -> list[dict]:
    return [_view(q) for q in await Quota.all().order_by("kind", "-effective_from")]


async def quota_for(kind: MeterKind, month: date) -> Quota | None:
    return await Quota.filter(kind=kind, effective_from__lte=month).order_by("-effective_from").first()
