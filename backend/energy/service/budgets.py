"""STAND-IN (helper D): each unit's monthly budget and use."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from backend.accounts.service import people
from backend.energy.models import Apportion, Budget, Meter, MeterKind, MeterRole, MeterShare
from backend.energy.service import quotas, rollups
from backend.places import service as places


async def _billed_units() -> dict[MeterKind, set[int]]:
    units: dict[MeterKind, set[int]] = defaultdict(set)
    for unit_id, kind in await Meter.filter(unit_id__isnull=False, role=MeterRole.CONSUMPTION).values_list(
        "unit_id", "kind"
    ):
        units[MeterKind(kind)].add(unit_id)
    for unit_id, kind in await MeterShare.all().values_list("unit_id", "meter__kind"):
        units[MeterKind(kind)].add(unit_id)
    return units


async def ensure_month(month: date) -> int:
    """STAND-IN: a budget per unit with meters of a kind that has a quota."""
    made = 0
    for kind, unit_ids in (await _billed_units()).items():
        quota = await quotas.quota_for(kind, month)
        if quota is None:
            continue
        heads = await people.established_headcount(unit_ids)
        areas = await places.area_by_unit(unit_ids)
        for unit_id in unit_ids:
            computed = (
                heads.get(unit_id, 0) * quota.per_person_milli + areas.get(unit_id, 0) * quota.per_m2_milli // 100
            )
            _, created = await Budget.get_or_create(
                unit_id=unit_id,
                month=month,
                kind=kind,
                defaults={
                    "headcount": heads.get(unit_id, 0),
                    "area_hundredths": areas.get(unit_id, 0),
                    "per_person_milli": quota.per_person_milli,
                    "per_m2_milli": quota.per_m2_milli,
                    "computed_milli": computed,
                },
            )
            made += created
    return made


def _largest_remainder(total: int, weights: dict[int, int]) -> dict[int, int]:
    whole = sum(weights.values())
    if not whole:
        first = min(weights)
        return {unit_id: (total if unit_id == first else 0) for unit_id in weights}
    shares = {unit_id: total * w // whole for unit_id, w in weights.items()}
    rest = total - sum(shares.values())
    for unit_id in sorted(weights, key=lambda u: -((total * weights[u]) % whole))[:rest]:
        shares[unit_id] += 1
    return shares


async def unit_use(month: date, kind: MeterKind | None = None) -> dict[tuple[int, MeterKind], int]:
    """STAND-IN: own meters' month use plus shared meters apportioned by area or headcount."""
    meters = Meter.filter(role=MeterRole.CONSUMPTION)
    if kind is not None:
        meters = meters.filter(kind=kind)
    rows = await meters.values_list("id", "kind", "unit_id", "apportion")
    use = await rollups.month_use([m[0] for m in rows], month)
    shares: dict[int, list[int]] = defaultdict(list)
    for meter_id, unit_id in await MeterShare.filter(meter_id__in=[m[0] for m in rows]).values_list(
        "meter_id", "unit_id"
    ):
        shares[meter_id].append(unit_id)
    sharing = sorted({u for units in shares.values() for u in units})
    areas = await places.area_by_unit(sharing) if sharing else {}
    heads = await people.established_headcount(sharing) if sharing else {}
    found: dict[tuple[int, MeterKind], int] = defaultdict(int)
    for meter_id, meter_kind, unit_id, apportion in rows:
        amount = use.get(meter_id, 0)
        if unit_id is not None:
            found[unit_id, MeterKind(meter_kind)] += amount
        elif shares.get(meter_id):
            basis = areas if apportion == Apportion.AREA else heads
            for share_unit, part in _largest_remainder(amount, {u: basis.get(u, 0) for u in shares[meter_id]}).items():
                found[share_unit, MeterKind(meter_kind)] += part
    return dict(found)


async def budget_status(month: date, scope_unit_ids: list[int] | None, kind: MeterKind | None = None) -> list[dict]:
    """STAND-IN: one row per budget with its use this month."""
    budgets = Budget.filter(month=month)
    if scope_unit_ids is not None:
        budgets = budgets.filter(unit_id__in=scope_unit_ids)
    if kind is not None:
        budgets = budgets.filter(kind=kind)
    found = await budgets.order_by("unit_id", "kind")
    used = await unit_use(month, kind)
    names = await people.units_by_id({b.unit_id for b in found})
    rows = []
    for b in found:
        amount = b.computed_milli + b.adjustment_milli
        spent = used.get((b.unit_id, MeterKind(b.kind)), 0)
        rows.append(
            {
                "budget_id": b.id,
                "unit_id": b.unit_id,
                "unit_name": names[b.unit_id].name,
                "kind": b.kind,
                "kind_label": MeterKind(b.kind).label,
                "amount_milli": amount,
                "used_milli": spent,
                "percent": round(100 * spent / amount, 1) if amount else None,
                "state": b.state,
                "state_label": b.state.label,
            }
        )
    return rows
