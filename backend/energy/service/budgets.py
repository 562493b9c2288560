"""Energy budgets (用能预算): each unit's monthly allowance of a kind, set by the roster's
establishment (在编人数) × the quota per person (+ the unit's room area × the quota per m²), plus
the admins' adjustments; its use this month; the alerts at 80 % and 100 %; and, once a budget has
been used up for the grace period without an extension, the cut-off of the unit's own switchable
meters of that kind, restored on a raise, an extension, an admin's restore or the next month.

How a cut is decided once and undone once. Every decision about one budget is taken under that
budget's row lock, in the transaction that records it, under a key `switching.request` records
once, however often and however many at once the evaluation runs. A meter's cut for a budget is
keyed `cut:<budget>:<meter>:<n>`, n the meter's newest command for the budget before it (0:
none). Whether a meter needs a restore follows from what was done to it, never from counting
commands: its newest cut that took effect (CONFIRMED), may have (FAILED) or may still (open) is
this budget's, and nothing of the meter was confirmed after it nor is under way after it. That
restore is keyed `restore:<budget>:<meter>:<cut>:<k>`, k the restores of that cut which ended
unconfirmed, so a failed restore is asked again under a new key — by an admin's decision at once,
by the evaluation and the month's rollover after a rest — and the sender's undo of a cut
confirmed too late uses the same key as the raise's restore. The sender asks `cut_still_due`
before sending a cut, so a cut decided just before a raise is cancelled, not sent.

Never cut: safety circuits (安全回路), meters without a switch, and shared meters (a shared
meter's use is apportioned among its units, but it supplies them all)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from backend.accounts.service import admins, people
from backend.core import sql
from backend.core.audit import CLI_ACTOR, Actor, record
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, add_months, business_time, day_start, now
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
    SwitchState,
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


async def _weights(months: list[date], unit_ids: set[int]) -> dict[date, dict[Apportion, dict[int, int]]]:
    """Each sharing unit's area and headcount for each of `months`: as its budgets were computed
    (so a closed month stays as it was billed), else from today's rooms and roster."""
    area: dict[date, dict[int, int]] = {month: {} for month in months}
    headcount: dict[date, dict[int, int]] = {month: {} for month in months}
    snapshot = Budget.filter(month__in=months, unit_id__in=list(unit_ids)).values_list(
        "month", "unit_id", "headcount", "area_hundredths"
    )
    for month, unit_id, people_count, area_hundredths in await snapshot:
        headcount[month].setdefault(unit_id, people_count)
        area[month].setdefault(unit_id, area_hundredths)
    missing = {unit_id for month in months for unit_id in unit_ids - headcount[month].keys()}
    if missing:
        today_heads = await people.established_headcount(missing)
        today_areas = await places.area_by_unit(missing)
        for month in months:
            for unit_id in unit_ids - headcount[month].keys():
                headcount[month][unit_id] = today_heads.get(unit_id, 0)
                area[month][unit_id] = today_areas.get(unit_id, 0)
    return {month: {Apportion.AREA: area[month], Apportion.HEADCOUNT: headcount[month]} for month in months}


async def _month_rollups(
    first: date, months: int, kind: MeterKind | None, unit_ids: Collection[int] | None
) -> list[dict]:
    """Every consumption meter's use in each of `months` months from `first` from its month
    rollups, with what apportioning it needs, in one statement: the budget page's hot path (2,000
    meters are one indexed range of the rollups, not a list of 2,000 ids). With `unit_ids`, only
    the meters of those units and the shared meters one of them shares."""
    params = sql.db_values(Rollup, grain=Grain.MONTH, period_start=day_start(first))
    params += sql.db_values(Rollup, period_start=day_start(add_months(first, months)))
    params.append(MeterRole.CONSUMPTION.value)
    statement = (
        "SELECT m.id, m.kind, m.unit_id, m.apportion, r.period_start, r.amount_milli FROM energy_rollup r "
        "JOIN energy_meter m ON m.id = r.meter_id "
        "WHERE r.grain = $1 AND r.period_start >= $2 AND r.period_start < $3 AND m.role = $4 "
        "AND r.amount_milli <> 0"
    )
    if kind is not None:
        params.append(kind.value)
        statement += f" AND m.kind = ${len(params)}"
    if unit_ids is not None:
        ids = sorted(unit_ids) or [0]
        owned = ", ".join(f"${len(params) + i + 1}" for i in range(len(ids)))
        shared = ", ".join(f"${len(params) + len(ids) + i + 1}" for i in range(len(ids)))
        params += ids + ids
        statement += (
            f" AND (m.unit_id IN ({owned}) OR m.id IN "
            f"(SELECT s.meter_id FROM energy_meter_share s WHERE s.unit_id IN ({shared})))"
        )
    return await sql.rows(connections.get("default"), statement, *params)


async def use_by_month(
    first: date, months: int, kind: MeterKind | None = None, unit_ids: Collection[int] | None = None
) -> dict[date, dict[tuple[int, MeterKind], int]]:
    """Each month -> each unit's use of each kind, in thousandths, over `months` months from
    `first`: its own meters' month rollups, plus its part of every shared meter's, apportioned by
    area or headcount (largest remainder, so the parts add up to the meter's use exactly). Meters
    deactivated during a month count. With `unit_ids`, the use of at least those units (other
    units' parts of the meters they share come along)."""
    first = first.replace(day=1)
    totals: dict[date, dict[tuple[int, MeterKind], int]] = {add_months(first, i): {} for i in range(months)}
    shared = []
    for row in await _month_rollups(first, months, kind, unit_ids):
        start = sql.python_value(Rollup, "period_start", row["period_start"])
        month, meter_kind, amount = start.astimezone(BUSINESS_TZ).date(), MeterKind(row["kind"]), row["amount_milli"]
        if row["unit_id"] is not None:
            key = (row["unit_id"], meter_kind)
            totals[month][key] = totals[month].get(key, 0) + amount
        else:
            shared.append((month, row["id"], meter_kind, Apportion(row["apportion"]), amount))
    if not shared:
        return totals
    sharing: dict[int, list[int]] = {}
    for meter_id, unit_id in await MeterShare.filter(meter_id__in={s[1] for s in shared}).values_list(
        "meter_id", "unit_id"
    ):
        sharing.setdefault(meter_id, []).append(unit_id)
    weights = await _weights(sorted({s[0] for s in shared}), {u for units in sharing.values() for u in units})
    for month, meter_id, meter_kind, how, amount in shared:
        by = weights[month].get(how, weights[month][Apportion.AREA])
        parts = apportion(amount, {u: by.get(u, 0) for u in sharing.get(meter_id, [])})
        for unit_id, part in parts.items():
            if not part:
                continue
            key = (unit_id, meter_kind)
            totals[month][key] = totals[month].get(key, 0) + part
    return totals


async def unit_use(month: date, kind: MeterKind | None = None) -> dict[tuple[int, MeterKind], int]:
    """Each unit's use of each kind in `month`, in thousandths (`use_by_month` for one month)."""
    return (await use_by_month(month, 1, kind))[month.replace(day=1)]


# ---- cut rounds ----

# A cut that took effect (CONFIRMED), may have (FAILED: the relay's state may be unknown) or may
# still (PENDING, SENT): what a restore has to undo. A CANCELLED or REFUSED cut did nothing.
_CUT_TAKEN = (SwitchState.CONFIRMED, SwitchState.FAILED, SwitchState.PENDING, SwitchState.SENT)
_OPEN = (SwitchState.PENDING, SwitchState.SENT)
# A restore that ended unconfirmed is requested again by the evaluation: at once the first time,
# then after a rest doubling from RETRY_REST up to RETRY_REST_MAX, so a dead relay is not sent a
# command (and an alert raised) every five minutes. An admin's decision retries at once.
RETRY_REST = timedelta(minutes=15)
RETRY_REST_MAX = timedelta(hours=8)
_COMMAND_FIELDS = ("id", "meter_id", "budget_id", "action", "state", "reason", "settled_at")


@dataclass(frozen=True)
class _Undo:
    """A cut the meter's supply still waits to have undone, and the restores of it (for its
    budget) that ended unconfirmed: failed, cancelled or refused."""

    meter_id: int
    cut_id: int
    ended: list[dict]

    def key(self, budget_id: int) -> str:
        # One decision per cut and retry round: `switching.request` keeps one command per key.
        return f"restore:{budget_id}:{self.meter_id}:{self.cut_id}:{len(self.ended)}"

    def rested(self, at: datetime) -> bool:
        """Whether the restore may be requested (again) at `at`."""
        failed = sum(1 for c in self.ended if c["state"] != SwitchState.CANCELLED)
        last = self.ended[-1] if self.ended else None
        if failed <= 1 or last is None or last["state"] == SwitchState.CANCELLED or last["settled_at"] is None:
            return True
        return at >= last["settled_at"] + min(RETRY_REST * 2 ** (failed - 2), RETRY_REST_MAX)

    def reason(self, budget: Budget, at: datetime) -> SwitchReason:
        """Why the restore: a past month's cut ends with the month; else as the restore that did
        not get through, or as the budget's state says."""
        if budget.month < month_of(at):
            return SwitchReason.MONTH_ROLLOVER
        if self.ended:
            return SwitchReason(self.ended[-1]["reason"])
        return SwitchReason.EXTENSION if budget.state == BudgetState.EXTENDED else SwitchReason.BUDGET_RAISED


async def _histories(conn: Any, meter_ids: Any) -> dict[int, list[dict]]:
    """Every switch command of the meters (of any budget, or of none), oldest first, by meter."""
    found: dict[int, list[dict]] = {meter_id: [] for meter_id in meter_ids}
    if found:
        rows = SwitchCommand.filter(meter_id__in=list(found)).using_db(conn).order_by("id").values(*_COMMAND_FIELDS)
        for row in await rows:
            found[row["meter_id"]].append(row)
    return found


def _undo_due(meter_id: int, history: list[dict], budget_id: int) -> _Undo | None:
    """What a restore for the budget has to undo on the meter, from what was done to it (never
    from counting its commands): the meter's newest cut that took or may take effect, when it is
    this budget's and no command of the meter was confirmed after it (a restore that did its
    work, or a later decision) and none after it is still open (a restore under way). None:
    nothing to undo."""
    cuts = [i for i, c in enumerate(history) if c["action"] == SwitchAction.CUT and c["state"] in _CUT_TAKEN]
    if not cuts or history[cuts[-1]]["budget_id"] != budget_id:
        return None
    later = history[cuts[-1] + 1 :]
    if any(c["state"] == SwitchState.CONFIRMED or c["state"] in _OPEN for c in later):
        return None
    ended = [c for c in later if c["action"] == SwitchAction.RESTORE and c["budget_id"] == budget_id]
    return _Undo(meter_id, history[cuts[-1]]["id"], ended)


async def _request_restore(
    conn: Any, budget_id: int, undo: _Undo, reason: SwitchReason, actor: Actor | None = None, note: str = ""
) -> int:
    return int(
        await switching.request(
            conn,
            undo.meter_id,
            SwitchAction.RESTORE,
            reason,
            undo.key(budget_id),
            budget_id=budget_id,
            actor=actor,
            note=note[:200],
        )
    )


async def _cut(conn: Any, budget: Budget) -> tuple[int, int]:
    """Request the cut of the unit's own switchable meters of the budget's kind (never a safety
    circuit, never a shared meter); how many such meters there are, and how many cuts were
    requested now. A round's cut is keyed by the meter's newest command for the budget before it
    (0: none), so it is decided once and the next round's cut has a key of its own."""
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
    latest: dict[int, int] = {}
    done = SwitchCommand.filter(budget_id=budget.id, meter_id__in=list(meter_ids)).using_db(conn)
    for meter_id, command_id in await done.values_list("meter_id", "id"):
        latest[meter_id] = max(latest.get(meter_id, 0), command_id)
    requested = 0
    for meter_id in meter_ids:
        requested += await switching.request(
            conn,
            meter_id,
            SwitchAction.CUT,
            SwitchReason.BUDGET_EXHAUSTED,
            f"cut:{budget.id}:{meter_id}:{latest.get(meter_id, 0)}",
            budget_id=budget.id,
        )
    return len(meter_ids), requested


async def _restore(conn: Any, budget: Budget, reason: SwitchReason, actor: Actor | None = None, note: str = "") -> int:
    """Request the restore of every meter the budget's cut holds off, or may (a cut still open, or
    failed with the relay's state unknown), unless a restore of it is under way; how many. A
    restore of the same cut that ended unconfirmed is requested again, under the next key."""
    meter_ids = set(await SwitchCommand.filter(budget_id=budget.id).using_db(conn).values_list("meter_id", flat=True))
    histories = await _histories(conn, meter_ids)
    requested = 0
    for meter_id in sorted(meter_ids):
        undo = _undo_due(meter_id, histories[meter_id], budget.id)
        if undo is not None:
            requested += await _request_restore(conn, budget.id, undo, reason, actor, note)
    return requested


def _cut_due(budget: Budget, at: datetime) -> bool:
    """Whether the budget's cut stands at `at`: this month's, cut, used up and not extended."""
    if budget.state != BudgetState.CUT or budget.month != month_of(at):
        return False
    if budget.extended_until is not None and budget.extended_until > at:
        return False
    return _exhausted(budget.used_milli, amount_of(budget))


async def _stranded() -> dict[int, set[int]]:
    """Budget id -> meters whose newest cut that took or may have taken effect is that budget's,
    with no command of the meter confirmed after it: the meters a budget may still hold off."""
    cut, confirmed, failed = SwitchAction.CUT.value, SwitchState.CONFIRMED.value, SwitchState.FAILED.value
    statement = (
        "SELECT c.budget_id, c.meter_id FROM energy_switch_command c "
        "WHERE c.action = $1 AND c.state IN ($2, $3) AND c.budget_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM energy_switch_command n WHERE n.meter_id = c.meter_id AND n.id > c.id "
        "AND (n.state = $4 OR (n.action = $5 AND n.state IN ($6, $7, $8))))"
    )
    taken = (failed, SwitchState.PENDING.value, SwitchState.SENT.value)
    rows = await sql.rows(connections.get("default"), statement, cut, confirmed, failed, confirmed, cut, *taken)
    found: dict[int, set[int]] = {}
    for row in rows:
        found.setdefault(row["budget_id"], set()).add(row["meter_id"])
    return found


async def _restore_stranded(at: datetime) -> int:
    """Restore every meter still held off by a cut no longer due (a past month's budget, or one
    raised, extended or restored), whatever became of the restores asked for before: a restore
    that failed is asked again (after its rest), under a new key. How many were requested."""
    stranded = await _stranded()
    # A budget whose cut stands (the usual case) is passed over without taking its lock.
    due = {b.id for b in await Budget.filter(id__in=list(stranded), state=BudgetState.CUT) if _cut_due(b, at)}
    requested = 0
    for budget_id, meter_ids in sorted(stranded.items()):
        if budget_id in due:
            continue
        async with in_transaction() as conn:
            budget = await Budget.filter(id=budget_id).using_db(conn).select_for_update().get()
            if _cut_due(budget, at):
                continue
            histories = await _histories(conn, meter_ids)
            for meter_id in sorted(meter_ids):
                undo = _undo_due(meter_id, histories[meter_id], budget_id)
                if undo is not None and undo.rested(at):
                    requested += await _request_restore(conn, budget_id, undo, undo.reason(budget, at))
    return requested


async def undo_cut(budget_id: int, meter_id: int, at: datetime) -> bool:
    """A cut of the budget confirmed when it was no longer due (the budget raised, extended or
    restored while the cut was on its way): a restore follows at once, keyed like every restore
    of that cut, so one asked for already (by the raise) is not asked twice. Whether one was."""
    async with in_transaction() as conn:
        budget = await Budget.filter(id=budget_id).using_db(conn).select_for_update().first()
        if budget is None or _cut_due(budget, at):
            return False
        undo = _undo_due(meter_id, (await _histories(conn, [meter_id]))[meter_id], budget_id)
        if undo is None:
            return False
        note = "断供确认时预算已不再用尽，随即恢复"
        return bool(await _request_restore(conn, budget_id, undo, undo.reason(budget, at), note=note))


# ---- evaluation ----


@dataclass(frozen=True)
class _Plan:
    state: BudgetState
    exhausted_at: datetime | None
    warn: bool
    exhaust: bool
    # An extension ran out with the budget still used up: the unit is told, and the grace runs again.
    extension_over: bool = False


def _plan(budget: Budget, used: int, at: datetime, grace: timedelta) -> _Plan:
    amount = amount_of(budget)
    warn = _warned(used, amount) and budget.alerted_80_at is None
    if not _exhausted(used, amount):
        state = BudgetState.WARNED if _warned(used, amount) else BudgetState.NORMAL
        return _Plan(state, None, warn, False)
    exhausted_at = budget.exhausted_at or at
    # The grace before a cut runs from the exhaustion, or from the end of an extension since.
    grace_from = max(exhausted_at, budget.extended_until or exhausted_at)
    if budget.extended_until is not None and budget.extended_until > at:
        state = BudgetState.EXTENDED
    elif budget.state == BudgetState.CUT or at >= grace_from + grace:
        state = BudgetState.CUT
    else:
        state = BudgetState.EXHAUSTED
    over = budget.state == BudgetState.EXTENDED and state != BudgetState.EXTENDED
    return _Plan(state, exhausted_at, warn, budget.alerted_100_at is None, over)


def _settled(budget: Budget, used: int, plan: _Plan) -> bool:
    return (
        budget.used_milli == used
        and budget.state == plan.state
        and budget.exhausted_at == plan.exhausted_at
        and not (plan.warn or plan.exhaust or plan.extension_over)
    )


def _stamp(moment: datetime) -> int:
    return int(moment.timestamp())


async def _alert(
    conn: Any,
    budget: Budget,
    kind: AlertKind,
    unit_name: str,
    used: int,
    grace_hours: int,
    since: datetime | None = None,
    extension_over: bool = False,
) -> bool:
    """The 80 % alert (once a month), or a used-up alert: once per round of exhaustion (`since`,
    the round's start: a raise ends a round), and once when an extension runs out."""
    amount = amount_of(budget)
    figures = f"已用 {amount_text(budget.kind, used)}，预算 {amount_text(budget.kind, amount)}"
    after = f"{grace_hours} 小时后" if grace_hours else "即将"
    what = f"{unit_name}本月{budget.kind.label}"
    if kind == AlertKind.BUDGET_80:
        message = f"{what}预算已用 {percent_of(used, amount)}%（{figures}），请注意节约"
        key = f"budget80:{budget.id}"
    elif extension_over:
        assert budget.extended_until is not None
        message = f"{what}延期供应已结束，预算仍已用尽（{figures}），未获批再次延期的，{after}断供"
        key = f"budget100:{budget.id}:extension:{_stamp(budget.extended_until)}"
    else:
        assert since is not None
        message = f"{what}预算已用尽（{figures}），未获批延期的，{after}断供"
        key = f"budget100:{budget.id}:{_stamp(since)}"
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
            report.alerts += await _alert(
                conn, budget, AlertKind.BUDGET_100, unit_name, used, settings.cut_grace_hours, plan.exhausted_at
            )
    elif plan.extension_over:
        report.alerts += await _alert(
            conn, budget, AlertKind.BUDGET_100, unit_name, used, settings.cut_grace_hours, extension_over=True
        )
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
    report.restores += await _restore_stranded(now)
    return report


async def _restore_past_cuts(at: datetime) -> int:
    """Restore every meter still cut for a month before `at`'s; those budgets end used up. (A
    restore of one that then fails is asked again by `_restore_stranded`.)"""
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
    return await _restore_past_cuts(now) + await _restore_stranded(now)


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


# An admin's decision on a budget and the audit action that records it.
_DECISION_ACTIONS = {
    "adjust": "energy.adjust_budget",
    "extend": "energy.extend_budget",
    "restore": "energy.restore_supply",
}


async def _decide(
    actor: Actor,
    budget: Budget,
    decision: str,
    reason: str,
    change: dict,
    decide: Any,
) -> dict:
    """Under the budget's row lock: `decide(conn, locked budget)` changes it, the change is kept
    with its reason, and the whole is audited."""
    action = _DECISION_ACTIONS[decision]
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
        if _exhausted(used, amount_of(locked)):
            return
        if locked.state in _HELD:
            await _restore(conn, locked, SwitchReason.BUDGET_RAISED, actor, reason)
            locked.state = BudgetState.WARNED if _warned(used, amount_of(locked)) else BudgetState.NORMAL
            locked.exhausted_at = None
        if delta > 0:
            # A raise above the use ends the round: using it up again is alerted again (a new
            # round's alert), and its cut waits for the whole grace.
            locked.alerted_100_at = None
            locked.exhausted_at = None

    return await _decide(actor, budget, "adjust", reason, {"delta_milli": delta}, decide)


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

    return await _decide(actor, budget, "extend", reason, {"extended_until": until}, decide)


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

    return await _decide(actor, budget, "restore", reason, {"extended_until": until}, decide)


async def cut_still_due(budget_id: int, now: datetime) -> bool:
    """Whether a cut decided for the budget should still be sent at `now`: the budget is this
    month's, cut, used up and not extended. Asked by the sender just before it sends."""
    budget = await Budget.get_or_none(id=budget_id)
    return budget is not None and _cut_due(budget, now)


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
