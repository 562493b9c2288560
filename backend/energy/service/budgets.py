"""Energy budgets (用能预算): each unit's monthly allowance of a kind, set by the roster's
establishment (在编人数) × the quota per person (+ the unit's room area × the quota per m²), plus
the admins' adjustments; its use this month; the alerts at 80 % and 100 %; and, once a budget has
been used up for the grace period without an extension, the cut-off of the unit's own switchable
meters of that kind, restored on a raise, an extension, an admin's restore or the next month.

How a cut is decided once and undone once. Every decision about one budget is taken under that
budget's row lock, in the transaction that records it. A cut of a meter is a *round*: the cut's
decision key is `cut:<budget>:<meter>:<n>` and the restore ending it `restore:<budget>:<meter>:<n>`,
where n counts the rounds already ended (the budget's restore commands for that meter). However
often the evaluation runs, and however many run at once, a round's cut and restore are each
requested once (`switching.request` keeps one command per key). The sender asks `cut_still_due`
before sending a cut, so a cut decided just before a raise is cancelled, not sent.

Never cut: safety circuits (安全回路), meters without a switch, and shared meters (a shared
meter's use is apportioned among its units, but it supplies them all)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from backend.accounts.service import admins, people
from backend.core import sql
from backend.core.audit import CLI_ACTOR, Actor, record
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, business_time, day_start, now
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import (
    MEASURE,
    AlertKind,
    Apportion,
    Budget,
    BudgetChange,
    BudgetState,
    Grain,
    Meter,
    MeterKind,
    MeterRole,
    MeterShare,
    Rollup,
    SwitchAction,
    SwitchCommand,
    SwitchReason,
)
from backend.energy.service import alerts, quotas, switching
from backend.energy.service.quotas import amount_text, milli_text, parse_milli, percent_of
from backend.places import service as places

WARN_PERCENT = 80
# Budgets that hold supply back or have it cut: leaving these for a plain state restores supply.
_HELD = (BudgetState.EXHAUSTED, BudgetState.CUT, BudgetState.EXTENDED)


@dataclass
class EvaluateReport:
    """What one evaluation did: budgets of the month looked at, alerts raised, cut and restore
    commands requested."""

    month: date
    budgets: int = 0
    alerts: int = 0
    cuts: int = 0
    restores: int = 0


def month_of(moment: datetime) -> date:
    """The month (its first day) a moment falls in, in Beijing time."""
    return moment.astimezone(BUSINESS_TZ).date().replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_end(month: date) -> datetime:
    """The first moment of the next month (Beijing time)."""
    return day_start(next_month(month))


def amount_of(budget: Budget) -> int:
    return budget.computed_milli + budget.adjustment_milli


# A budget of 0 (a unit with no 在编 people and no area quota) is not managed: such a unit is
# neither warned nor cut, whatever it uses.
def _exhausted(used: int, amount: int) -> bool:
    return amount > 0 and used >= amount


def _warned(used: int, amount: int) -> bool:
    return amount > 0 and used * 100 >= amount * WARN_PERCENT


# ---- which units have budgets, and what of ----


async def _unit_rows() -> dict[int, dict]:
    """Every unit's view (accounts), by id, in tree order."""
    return {u["id"]: u for u in await people.list_units(Scope.EVERYTHING)}


def _unit_name(units: dict[int, dict], unit_id: int) -> str:
    unit = units.get(unit_id)
    if unit is None:
        return ""
    parent = units.get(unit["parent_id"]) if unit["parent_id"] else None
    return people.unit_label(unit["name"], parent["name"] if parent else None, unit["depth"])


async def _budget_units(kinds: set[MeterKind], units: dict[int, dict]) -> dict[MeterKind, set[int]]:
    """For each kind: the agencies (enabled units right below the root, where the unit tree puts
    them) and every unit with an active meter of its own or a share of a shared one."""
    agencies = {u["id"] for u in units.values() if u["depth"] == 2 and u["is_enabled"]}
    found: dict[MeterKind, set[int]] = {kind: set(agencies) for kind in kinds}
    meters = Meter.filter(role=MeterRole.CONSUMPTION, is_active=True, kind__in=list(kinds))
    for unit_id, kind in await meters.filter(unit_id__isnull=False).values_list("unit_id", "kind"):
        found[MeterKind(kind)].add(unit_id)
    shares = MeterShare.filter(
        meter__role=MeterRole.CONSUMPTION, meter__is_active=True, meter__kind__in=list(kinds)
    ).values_list("unit_id", "meter__kind")
    for unit_id, kind in await shares:
        found[MeterKind(kind)].add(unit_id)
    return found


def _computed(headcount: int, area_hundredths: int, per_person_milli: int, per_m2_milli: int) -> int:
    # Area is in hundredths of a m²: the area part is rounded half up to a whole thousandth.
    return headcount * per_person_milli + (area_hundredths * per_m2_milli + 50) // 100


async def ensure_month(month: date) -> int:
    """A budget for every unit that has one (see `_budget_units`) and every kind with a quota in
    force in `month`; how many were created. For the current month the existing budgets are
    computed again from today's roster, rooms and quota, so a budget follows a change of
    headcount; budgets of other months keep the figures they were made with. Safe to run at once
    from several places: a budget that another run just created is left to it."""
    month = month.replace(day=1)
    in_force = {kind: q for kind in MeterKind if (q := await quotas.quota_for(kind, month)) is not None}
    if not in_force:
        return 0
    units = await _unit_rows()
    by_kind = await _budget_units(set(in_force), units)
    unit_ids = set().union(*by_kind.values())
    headcount = await people.established_headcount(unit_ids)
    area = await places.area_by_unit(unit_ids)
    existing = {(b.unit_id, b.kind): b for b in await Budget.filter(month=month)}
    recompute = month == month_of(now())
    created = []
    for kind, quota in in_force.items():
        for unit_id in sorted(by_kind[kind]):
            figures = {
                "headcount": headcount.get(unit_id, 0),
                "area_hundredths": area.get(unit_id, 0),
                "per_person_milli": quota.per_person_milli,
                "per_m2_milli": quota.per_m2_milli,
            }
            figures["computed_milli"] = _computed(**figures)
            budget = existing.get((unit_id, kind))
            if budget is None:
                created.append(Budget(unit_id=unit_id, month=month, kind=kind, **figures))
            elif recompute and any(getattr(budget, name) != value for name, value in figures.items()):
                await Budget.filter(id=budget.id).update(**figures)
    if created:
        await Budget.bulk_create(created, ignore_conflicts=True)
    return len(created)


# ---- use ----


def apportion(total: int, weights: dict[int, int]) -> dict[int, int]:
    """`total` split among the keys of `weights` in proportion to them, in whole units, by the
    largest remainder (ties to the smaller key), so the parts sum to `total` exactly. All weights
    0: equal parts."""
    if not weights:
        return {}
    if sum(weights.values()) <= 0:
        weights = dict.fromkeys(weights, 1)
    whole = sum(weights.values())
    parts = {key: total * weight // whole for key, weight in weights.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda key: (-(total * weights[key] % whole), key))
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts


async def _weights(month: date, unit_ids: set[int]) -> dict[Apportion, dict[int, int]]:
    """Each sharing unit's area and headcount for the month: as its budgets were computed (so a
    closed month stays as it was billed), else from today's rooms and roster."""
    area: dict[int, int] = {}
    headcount: dict[int, int] = {}
    snapshot = Budget.filter(month=month, unit_id__in=list(unit_ids)).values_list(
        "unit_id", "headcount", "area_hundredths"
    )
    for unit_id, people_count, area_hundredths in await snapshot:
        headcount.setdefault(unit_id, people_count)
        area.setdefault(unit_id, area_hundredths)
    missing = unit_ids - headcount.keys()
    if missing:
        headcount |= await people.established_headcount(missing)
        area |= await places.area_by_unit(missing)
    return {Apportion.AREA: area, Apportion.HEADCOUNT: headcount}


async def _month_rollups(month: date, kind: MeterKind | None) -> list[dict]:
    """Every consumption meter's use in `month` from its month rollup, with what apportioning it
    needs, in one statement: the budget page's hot path (2,000 meters are one indexed range of
    the rollups, not a list of 2,000 ids)."""
    grain, period_start = sql.db_values(Rollup, grain=Grain.MONTH, period_start=day_start(month))
    params = [grain, period_start, MeterRole.CONSUMPTION.value]
    statement = (
        "SELECT m.id, m.kind, m.unit_id, m.apportion, r.amount_milli FROM energy_rollup r "
        "JOIN energy_meter m ON m.id = r.meter_id "
        "WHERE r.grain = $1 AND r.period_start = $2 AND m.role = $3 AND r.amount_milli <> 0"
    )
    if kind is not None:
        statement += " AND m.kind = $4"
        params.append(kind.value)
    return await sql.rows(connections.get("default"), statement, *params)


async def unit_use(month: date, kind: MeterKind | None = None) -> dict[tuple[int, MeterKind], int]:
    """Each unit's use of each kind in `month`, in thousandths: its own meters' month rollups,
    plus its part of every shared meter's, apportioned by area or headcount (largest remainder,
    so the parts add up to the meter's use exactly). Meters deactivated during the month count."""
    month = month.replace(day=1)
    totals: dict[tuple[int, MeterKind], int] = {}
    shared = []
    for row in await _month_rollups(month, kind):
        meter_kind, amount = MeterKind(row["kind"]), row["amount_milli"]
        if row["unit_id"] is not None:
            key = (row["unit_id"], meter_kind)
            totals[key] = totals.get(key, 0) + amount
        else:
            shared.append((row["id"], meter_kind, Apportion(row["apportion"]), amount))
    if not shared:
        return totals
    sharing: dict[int, list[int]] = {}
    for meter_id, unit_id in await MeterShare.filter(meter_id__in=[s[0] for s in shared]).values_list(
        "meter_id", "unit_id"
    ):
        sharing.setdefault(meter_id, []).append(unit_id)
    weights = await _weights(month, {u for units in sharing.values() for u in units})
    for meter_id, meter_kind, how, amount in shared:
        by = weights.get(how, weights[Apportion.AREA])
        parts = apportion(amount, {u: by.get(u, 0) for u in sharing.get(meter_id, [])})
        for unit_id, part in parts.items():
            if not part:
                continue
            key = (unit_id, meter_kind)
            totals[key] = totals.get(key, 0) + part
    return totals


# ---- cut rounds ----


async def _rounds(conn: Any, budget_id: int) -> dict[int, tuple[int, int]]:
    """meter id -> (cuts, restores) requested for the budget: a round is open while cuts > restores."""
    counts: dict[int, tuple[int, int]] = {}
    rows = await SwitchCommand.filter(budget_id=budget_id).using_db(conn).values_list("meter_id", "action")
    for meter_id, action in rows:
        cuts, restores = counts.get(meter_id, (0, 0))
        counts[meter_id] = (cuts + 1, restores) if action == SwitchAction.CUT else (cuts, restores + 1)
    return counts


async def _cut(conn: Any, budget: Budget) -> tuple[int, int]:
    """Request the cut of the unit's own switchable meters of the budget's kind (never a safety
    circuit, never a shared meter); how many such meters there are, and how many cuts were
    requested now."""
    meter_ids = (
        await Meter.filter(
            unit_id=budget.unit_id,
            kind=budget.kind,
            role=MeterRole.CONSUMPTION,
            is_active=True,
            is_safety=False,
            model__can_switch=True,
        )
        .using_db(conn)
        .order_by("id")
        .values_list("id", flat=True)
    )
    rounds = await _rounds(conn, budget.id)
    requested = 0
    for meter_id in meter_ids:
        ended = rounds.get(meter_id, (0, 0))[1]
        requested += await switching.request(
            conn,
            meter_id,
            SwitchAction.CUT,
            SwitchReason.BUDGET_EXHAUSTED,
            f"cut:{budget.id}:{meter_id}:{ended}",
            budget_id=budget.id,
        )
    return len(meter_ids), requested


async def _restore(conn: Any, budget: Budget, reason: SwitchReason, actor: Actor | None = None, note: str = "") -> int:
    """Request the restore of every meter whose cut round for the budget is open; how many."""
    requested = 0
    for meter_id, (cuts, restores) in sorted((await _rounds(conn, budget.id)).items()):
        if cuts > restores:
            requested += await switching.request(
                conn,
                meter_id,
                SwitchAction.RESTORE,
                reason,
                f"restore:{budget.id}:{meter_id}:{restores}",
                budget_id=budget.id,
                actor=actor,
                note=note[:200],
            )
    return requested


# ---- evaluation ----


@dataclass(frozen=True)
class _Plan:
    state: BudgetState
    exhausted_at: datetime | None
    warn: bool
    exhaust: bool


def _plan(budget: Budget, used: int, at: datetime, grace: timedelta) -> _Plan:
    amount = amount_of(budget)
    warn = _warned(used, amount) and budget.alerted_80_at is None
    if not _exhausted(used, amount):
        state = BudgetState.WARNED if _warned(used, amount) else BudgetState.NORMAL
        return _Plan(state, None, warn, False)
    exhausted_at = budget.exhausted_at or at
    if budget.extended_until is not None and budget.extended_until > at:
        state = BudgetState.EXTENDED
    elif budget.state == BudgetState.CUT or at >= exhausted_at + grace:
        state = BudgetState.CUT
    else:
        state = BudgetState.EXHAUSTED
    return _Plan(state, exhausted_at, warn, budget.alerted_100_at is None)


def _settled(budget: Budget, used: int, plan: _Plan) -> bool:
    return (
        budget.used_milli == used
        and budget.state == plan.state
        and budget.exhausted_at == plan.exhausted_at
        and not (plan.warn or plan.exhaust)
    )


async def _alert(conn: Any, budget: Budget, kind: AlertKind, unit_name: str, used: int, grace_hours: int) -> bool:
    amount = amount_of(budget)
    figures = f"已用 {amount_text(budget.kind, used)}，预算 {amount_text(budget.kind, amount)}"
    if kind == AlertKind.BUDGET_80:
        message = f"{unit_name}本月{budget.kind.label}预算已用 {percent_of(used, amount)}%（{figures}），请注意节约"
        key = f"budget80:{budget.id}"
    else:
        after = f"{grace_hours} 小时后" if grace_hours else "即将"
        message = f"{unit_name}本月{budget.kind.label}预算已用尽（{figures}），未获批延期的，{after}断供"
        key = f"budget100:{budget.id}"
    return await alerts.raise_alert(kind, message, key, unit_id=budget.unit_id, budget_id=budget.id, conn=conn)


async def _settle(
    conn: Any, budget: Budget, used: int, at: datetime, settings: EnergySettings, unit_name: str, report: EvaluateReport
) -> None:
    """Bring one locked budget to what its use says: state, alerts (each once: the alert time is
    set by a conditional update), the cut after the grace, the restore when it is no longer used up."""
    plan = _plan(budget, used, at, timedelta(hours=settings.cut_grace_hours))
    if plan.exhaust:
        # Straight past 80 % to 100 %: one message (used up), not two at once.
        marked = (
            await Budget.filter(id=budget.id, alerted_100_at__isnull=True)
            .using_db(conn)
            .update(alerted_100_at=at, alerted_80_at=budget.alerted_80_at or at)
        )
        if marked:
            report.alerts += await _alert(conn, budget, AlertKind.BUDGET_100, unit_name, used, settings.cut_grace_hours)
    elif plan.warn:
        marked = await Budget.filter(id=budget.id, alerted_80_at__isnull=True).using_db(conn).update(alerted_80_at=at)
        if marked:
            report.alerts += await _alert(conn, budget, AlertKind.BUDGET_80, unit_name, used, settings.cut_grace_hours)
    state = plan.state
    if state == BudgetState.CUT and budget.state != BudgetState.CUT:
        switchable, requested = await _cut(conn, budget)
        report.cuts += requested
        if not switchable:
            # Nothing of this unit's can be switched off (manual water meters): used up, not cut.
            state = BudgetState.EXHAUSTED
    elif state != BudgetState.CUT and budget.state == BudgetState.CUT:
        report.restores += await _restore(conn, budget, SwitchReason.BUDGET_RAISED)
    await (
        Budget.filter(id=budget.id).using_db(conn).update(used_milli=used, state=state, exhausted_at=plan.exhausted_at)
    )


async def evaluate(now: datetime, settings: EnergySettings) -> EvaluateReport:
    """Bring this month's budgets up to date with the month's rollups: make the month's budgets
    (`ensure_month`), store each one's use, raise the 80 % and 100 % alerts once, cut after the
    grace, restore what is no longer due; and restore what is still cut from earlier months (in
    case the rollover job did not run). Run after every collection and every five minutes: the
    effect of running it twice, or twice at once, is that of running it once."""
    month = month_of(now)
    report = EvaluateReport(month)
    await ensure_month(month)
    report.restores += await _restore_past_cuts(now)
    use = await unit_use(month)
    units = await _unit_rows()
    budgets = await Budget.filter(month=month).order_by("id")
    report.budgets = len(budgets)
    grace = timedelta(hours=settings.cut_grace_hours)
    for snapshot in budgets:
        used = use.get((snapshot.unit_id, snapshot.kind), 0)
        if _settled(snapshot, used, _plan(snapshot, used, now, grace)):
            continue
        async with in_transaction() as conn:
            budget = await Budget.filter(id=snapshot.id).using_db(conn).select_for_update().get()
            await _settle(conn, budget, used, now, settings, _unit_name(units, budget.unit_id), report)
    return report


async def _restore_past_cuts(at: datetime) -> int:
    """Restore every meter still cut for a month before `at`'s; those budgets end used up."""
    requested = 0
    for budget_id in await Budget.filter(month__lt=month_of(at), state=BudgetState.CUT).values_list("id", flat=True):
        async with in_transaction() as conn:
            budget = await Budget.filter(id=budget_id).using_db(conn).select_for_update().get()
            if budget.state != BudgetState.CUT:
                continue
            requested += await _restore(conn, budget, SwitchReason.MONTH_ROLLOVER)
            await Budget.filter(id=budget_id).using_db(conn).update(state=BudgetState.EXHAUSTED)
    return requested


async def month_rollover(now: datetime, settings: EnergySettings) -> int:
    """At the start of a month: the last month's budgets take their final use, the new month's
    budgets are made, and every meter cut for an earlier month is restored (MONTH_ROLLOVER);
    returns how many restores were requested. Running it again requests nothing more."""
    month = month_of(now)
    last = month_of(day_start(month) - timedelta(days=1))
    final = await unit_use(last)
    for budget in await Budget.filter(month=last):
        used = final.get((budget.unit_id, budget.kind), 0)
        if budget.used_milli != used:
            await Budget.filter(id=budget.id).update(used_milli=used)
    await ensure_month(month)
    return await _restore_past_cuts(now)


# ---- admins' decisions ----


def _reason(text: str) -> str:
    reason = (text or "").strip()
    if not 1 <= len(reason) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    return reason


def _change_invalid(problem: str) -> Exception:
    return EnergyError.BUDGET_CHANGE_INVALID.error(problem=problem)


async def _current_budget(budget_id: int, what: str) -> Budget:
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    if budget.month != month_of(now()):
        raise _change_invalid(f"只能{what}本月的预算")
    return budget


def _audited(budget: Budget, unit_name: str) -> dict:
    return {
        "unit": unit_name,
        "month": budget.month.strftime("%Y-%m"),
        "kind": budget.kind.value,
        "kind_label": budget.kind.label,
        "computed": amount_text(budget.kind, budget.computed_milli),
        "adjustment": amount_text(budget.kind, budget.adjustment_milli),
        "amount": amount_text(budget.kind, amount_of(budget)),
        "state": budget.state.value,
        "state_label": budget.state.label,
        "extended_until": budget.extended_until.isoformat() if budget.extended_until else None,
    }


async def _decide(
    actor: Actor,
    budget: Budget,
    action: str,
    reason: str,
    change: dict,
    decide: Any,
) -> dict:
    """Under the budget's row lock: `decide(conn, locked budget)` changes it, the change is kept
    with its reason, and the whole is audited."""
    units = await _unit_rows()
    unit_name = _unit_name(units, budget.unit_id)
    async with in_transaction() as conn:
        locked = await Budget.filter(id=budget.id).using_db(conn).select_for_update().get()
        before = _audited(locked, unit_name)
        await decide(conn, locked)
        await locked.save(using_db=conn)
        await BudgetChange.create(budget_id=locked.id, reason=reason, admin_id=actor.admin_id, using_db=conn, **change)
        await record(
            conn, actor, action, "energy_budget", locked.id, before, {**_audited(locked, unit_name), "reason": reason}
        )
    return _view(locked, locked.used_milli, unit_name)


async def adjust(actor: Actor, budget_id: int, delta_text: str, reason: str) -> dict:
    """Raise (+) or lower (−) this month's budget by an amount in the kind's unit, with a reason
    (audited). A raise that lifts the budget above its use ends any cut (BUDGET_RAISED): the
    unit's cut meters are restored and a cut not yet sent is cancelled. A cut after a lowering
    waits for the grace, like any other."""
    reason = _reason(reason)
    try:
        delta = parse_milli(delta_text, signed=True)
    except ValueError as problem:
        raise _change_invalid(str(problem)) from None
    if delta == 0:
        raise _change_invalid("调整数量不能为 0")
    budget = await _current_budget(budget_id, "调整")
    used = (await unit_use(budget.month, budget.kind)).get((budget.unit_id, budget.kind), 0)

    async def decide(conn: Any, locked: Budget) -> None:
        if amount_of(locked) + delta < 0:
            raise _change_invalid(f"调减后预算不能小于 0（现为 {amount_text(locked.kind, amount_of(locked))}）")
        locked.adjustment_milli += delta
        locked.used_milli = used
        if not _exhausted(used, amount_of(locked)) and locked.state in _HELD:
            await _restore(conn, locked, SwitchReason.BUDGET_RAISED, actor, reason)
            locked.state = BudgetState.WARNED if _warned(used, amount_of(locked)) else BudgetState.NORMAL
            locked.exhausted_at = None

    return await _decide(actor, budget, "energy.adjust_budget", reason, {"delta_milli": delta}, decide)


async def extend(actor: Actor, budget_id: int, until: datetime, reason: str) -> dict:
    """Keep supplying the unit past its used-up budget until `until` (at most the month's end),
    with a reason (audited): cut meters are restored (EXTENSION) and nothing is cut before then."""
    reason = _reason(reason)
    until = business_time(until)
    budget = await _current_budget(budget_id, "延期供应")
    if until <= now():
        raise _change_invalid("延期截止时间须晚于现在")
    if until > month_end(budget.month):
        raise _change_invalid("延期不能超过本月月底（下月初自动恢复供应）")

    async def decide(conn: Any, locked: Budget) -> None:
        locked.extended_until = until
        if locked.state in (BudgetState.EXHAUSTED, BudgetState.CUT):
            await _restore(conn, locked, SwitchReason.EXTENSION, actor, reason)
            locked.state = BudgetState.EXTENDED

    return await _decide(actor, budget, "energy.extend_budget", reason, {"extended_until": until}, decide)


async def restore(actor: Actor, budget_id: int, reason: str) -> dict:
    """Restore a cut (or about to be cut) unit's supply by an admin's decision (MANUAL), with a
    reason (audited): the budget stays used up, and supply is extended to the month's end."""
    reason = _reason(reason)
    budget = await _current_budget(budget_id, "恢复供应")
    until = month_end(budget.month)

    async def decide(conn: Any, locked: Budget) -> None:
        if locked.state not in (BudgetState.EXHAUSTED, BudgetState.CUT):
            raise _change_invalid(f"预算当前为“{locked.state.label}”，无需恢复供应")
        await _restore(conn, locked, SwitchReason.MANUAL, actor, reason)
        locked.extended_until = until
        locked.state = BudgetState.EXTENDED

    return await _decide(actor, budget, "energy.restore_supply", reason, {"extended_until": until}, decide)


async def cut_still_due(budget_id: int, now: datetime) -> bool:
    """Whether a cut decided for the budget should still be sent at `now`: the budget is this
    month's, cut, used up and not extended. Asked by the sender just before it sends."""
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None or budget.state != BudgetState.CUT or budget.month != month_of(now):
        return False
    if budget.extended_until is not None and budget.extended_until > now:
        return False
    return _exhausted(budget.used_milli, amount_of(budget))


# ---- reading ----


def _view(budget: Budget, used: int, unit_name: str) -> dict:
    amount = amount_of(budget)
    return {
        "id": budget.id,
        "unit_id": budget.unit_id,
        "unit_name": unit_name,
        "month": budget.month.isoformat(),
        "kind": budget.kind.value,
        "kind_label": budget.kind.label,
        "measure": MEASURE[budget.kind],
        "headcount": budget.headcount,
        "area_hundredths": budget.area_hundredths,
        "area": places.area_text(budget.area_hundredths),
        "per_person": milli_text(budget.per_person_milli),
        "per_m2": milli_text(budget.per_m2_milli),
        "computed_milli": budget.computed_milli,
        "adjustment_milli": budget.adjustment_milli,
        "amount_milli": amount,
        "used_milli": used,
        "computed": milli_text(budget.computed_milli),
        "adjustment": milli_text(budget.adjustment_milli),
        "amount": milli_text(amount),
        "used": milli_text(used),
        "left": milli_text(max(amount - used, 0)),
        "percent": percent_of(used, amount),
        "state": budget.state.value,
        "state_label": budget.state.label,
        "alerted_80_at": budget.alerted_80_at.isoformat() if budget.alerted_80_at else None,
        "alerted_100_at": budget.alerted_100_at.isoformat() if budget.alerted_100_at else None,
        "exhausted_at": budget.exhausted_at.isoformat() if budget.exhausted_at else None,
        "extended_until": budget.extended_until.isoformat() if budget.extended_until else None,
    }


_KIND_ORDER = {kind: i for i, kind in enumerate(MeterKind)}


async def budget_status(month: date, scope_unit_ids: list[int] | None, kind: MeterKind | None = None) -> list[dict]:
    """One row per budget of `month` (of the units in scope, of `kind` if given), in the unit
    tree's order: amount, use now (from the month rollups, so a reading derived a moment ago
    shows), percent, state. Reads only budgets, meters and month rollups."""
    query = Budget.filter(month=month.replace(day=1))
    if kind is not None:
        query = query.filter(kind=kind)
    if scope_unit_ids is not None:
        query = query.filter(unit_id__in=scope_unit_ids)
    budgets = await query
    if not budgets:
        return []
    use = await unit_use(month.replace(day=1), kind)
    units = await _unit_rows()
    order = {unit_id: i for i, unit_id in enumerate(units)}
    budgets.sort(key=lambda b: (order.get(b.unit_id, len(order)), _KIND_ORDER[b.kind]))
    return [_view(b, use.get((b.unit_id, b.kind), 0), _unit_name(units, b.unit_id)) for b in budgets]


async def unit_budget(unit_id: int, month: date) -> list[dict]:
    """The unit's budgets of `month` with their use now (the mini-program's view for its energy
    contacts)."""
    return await budget_status(month, [unit_id])


async def budget_detail(budget_id: int) -> dict:
    """A budget with its use now, the admins' changes (who, why), the cut and restore commands
    decided for it and its alerts."""
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    used = (await unit_use(budget.month, budget.kind)).get((budget.unit_id, budget.kind), 0)
    units = await _unit_rows()
    changes = await BudgetChange.filter(budget_id=budget_id).order_by("id")
    admin_names = {a["id"]: a["display_name"] for a in await admins.list_admins()} if changes else {}
    commands = await SwitchCommand.filter(budget_id=budget_id).order_by("id")
    meters = (
        dict(await Meter.filter(id__in={c.meter_id for c in commands}).values_list("id", "code")) if commands else {}
    )
    return {
        **_view(budget, used, _unit_name(units, budget.unit_id)),
        "changes": [
            {
                "id": c.id,
                "delta": amount_text(budget.kind, c.delta_milli) if c.delta_milli else "",
                "extended_until": c.extended_until.isoformat() if c.extended_until else None,
                "reason": c.reason,
                "admin": admin_names.get(c.admin_id, "") if c.admin_id else CLI_ACTOR.name,
                "created_at": c.created_at.isoformat(),
            }
            for c in changes
        ],
        "commands": [
            {
                "id": c.id,
                "meter_id": c.meter_id,
                "meter_code": meters.get(c.meter_id, ""),
                "action": c.action.value,
                "action_label": c.action.label,
                "reason": c.reason.value,
                "reason_label": c.reason.label,
                "state": c.state.value,
                "state_label": c.state.label,
                "attempts": c.attempts,
                "created_at": c.created_at.isoformat(),
                "settled_at": c.settled_at.isoformat() if c.settled_at else None,
            }
            for c in commands
        ],
        "alerts": await alerts.alerts_of_budget(budget_id),
    }


async def describe_budgets(ids: list[int]) -> dict[int, str]:
    """For the audit log: "市发展和改革委员会 2026-03 电"."""
    budgets = await Budget.filter(id__in=ids)
    units = await _unit_rows()
    return {b.id: f"{_unit_name(units, b.unit_id)} {b.month.strftime('%Y-%m')} {b.kind.label}" for b in budgets}
