"""Meal subsidies (餐补): rules per unit and staff category, the monthly grant, month-end clearing.

A grant is one person's own transaction: one that fails is reported and the others go on.
Clearing reaches every wallet holding subsidy that expires, covered by a rule now or not.
The job may run more than once (a retried job, two schedulers during a deploy): a grant is one
row per person and month and a clearing one row per wallet and month, each unique and written in
the same transaction as its money, so a second run finds them and moves nothing. Every run is kept
(`SubsidyGrantRun`) with what it did and whom it failed for, so the console shows past months.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count, Sum
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.accounts.service.people import PersonSummary, StaffCategory, UnitSummary
from backend.core.audit import Actor, record
from backend.core.errors import AppError, ErrorCode
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.models import SubsidyExpiry, SubsidyGrant, SubsidyGrantRun, SubsidyRule, TransferKind, Wallet
from backend.wallet.service import ledger, wallets

log = logging.getLogger("houqin.subsidy")


class SubsidyError(ErrorCode):
    UNIT_NOT_FOUND = ("wallet.subsidy_unit_not_found", 404, "单位不存在")
    MONTH_INVALID = ("wallet.subsidy_month_invalid", 422, "月份格式应为 YYYY-MM")
    MONTH_IN_FUTURE = ("wallet.subsidy_month_in_future", 422, "不能提前发放以后月份的餐补")
    RULE_NOT_FOUND = ("wallet.subsidy_rule_not_found", 404, "该单位和人员类别没有餐补规则")
    AMOUNT_INVALID = ("wallet.subsidy_amount_invalid", 422, "餐补金额须大于 0；不再发放请停用该规则")
    KEY_USED_ELSEWHERE = (
        "wallet.subsidy_key_used_elsewhere",
        409,
        "这次提交已用于发放另一个月份，请刷新页面后重新提交",
    )
    UNIT_DISABLED = ("wallet.subsidy_unit_disabled", 422, "该单位已停用，不能设置餐补规则")
    RUN_NOT_FOUND = ("wallet.subsidy_run_not_found", 404, "没有这次餐补发放记录")
    RUN_IN_PROGRESS = ("wallet.subsidy_run_in_progress", 409, "这次发放仍在进行，请稍后刷新页面查看结果")


# Who a run was started by when no admin started it: the monthly job.
JOB_ACTOR = Actor(admin_id=None, name="定时任务")


def month_of(moment: datetime) -> str:
    return f"{moment.astimezone(BUSINESS_TZ):%Y-%m}"


def previous_month(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def parse_month(month: str) -> str:
    try:
        date.fromisoformat(f"{month}-01")
    except ValueError:
        raise SubsidyError.MONTH_INVALID.error() from None
    return month


def rule_view(rule: SubsidyRule, unit_code: str) -> dict:
    return {
        "id": rule.id,
        "unit": unit_code,
        "staff_category": rule.staff_category,
        "amount_fen": rule.amount_fen,
        "expires_monthly": rule.expires_monthly,
        "is_active": rule.is_active,
    }


async def set_rule(
    actor: Actor, unit_code: str, category: StaffCategory, amount_fen: int, expires_monthly: bool
) -> dict:
    """Create or change the rule of a unit and staff category, and switch it on."""
    if amount_fen < 1:
        raise SubsidyError.AMOUNT_INVALID.error()
    async with in_transaction() as conn:
        unit = await _unit(unit_code)
        if not unit.is_enabled:
            raise SubsidyError.UNIT_DISABLED.error()
        rule, _ = await SubsidyRule.get_or_create(
            unit_id=unit.id, staff_category=category.value, using_db=conn, defaults={"amount_fen": amount_fen}
        )
        before = rule_view(rule, unit.code)
        rule.amount_fen, rule.expires_monthly, rule.is_active = amount_fen, expires_monthly, True
        await rule.save(using_db=conn)
        await record(
            conn, actor, "wallet.set_subsidy_rule", "subsidy_rule", rule.id, before, rule_view(rule, unit.code)
        )
    return rule_view(rule, unit.code)


async def deactivate_rule(actor: Actor, unit_code: str, category: StaffCategory) -> dict:
    """Switch a rule off (停用); `set_rule` switches it on again. Its people fall to the rule of a
    unit above, if there is one. Subsidy already granted under it still clears at month end."""
    async with in_transaction() as conn:
        unit = await _unit(unit_code)
        rule = (
            await SubsidyRule.filter(unit_id=unit.id, staff_category=category.value)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if rule is None:
            raise SubsidyError.RULE_NOT_FOUND.error()
        before = rule_view(rule, unit.code)
        rule.is_active = False
        await rule.save(using_db=conn, update_fields=["is_active"])
        await record(
            conn, actor, "wallet.deactivate_subsidy_rule", "subsidy_rule", rule.id, before, rule_view(rule, unit.code)
        )
    return rule_view(rule, unit.code)


async def describe_rules(ids: list[int]) -> dict[int, str]:
    """{id: "市财政局 在编"}: whose subsidy a rule sets, as the audit log names it."""
    rules = await SubsidyRule.filter(id__in=ids).values_list("id", "unit_id", "staff_category")
    units = await people.units_by_id({unit_id for _, unit_id, _ in rules})
    return {i: f"{units[u].name} {StaffCategory(c).label}" for i, u, c in rules if u in units}


async def _unit(unit_code: str) -> UnitSummary:
    unit = await people.unit_by_code(unit_code)
    if unit is None:
        raise SubsidyError.UNIT_NOT_FOUND.error()
    return unit


async def list_rules() -> list[dict]:
    """Every rule, switched-off ones included (with `is_active` false), by unit path."""
    rules = await SubsidyRule.all()
    units = await people.units_by_id(r.unit_id for r in rules)
    rules.sort(key=lambda r: (units[r.unit_id].path, r.staff_category))
    return [rule_view(r, units[r.unit_id].code) for r in rules]


async def _rules_by_person() -> list[tuple[PersonSummary, SubsidyRule]]:
    """Each active person with the rule of their own unit or, failing that, the nearest above:
    of the active rules whose unit's subtree holds the person, the one of the deepest unit."""
    rules = await SubsidyRule.filter(is_active=True)
    units = await people.units_by_id(r.unit_id for r in rules)
    nearest: dict[int, tuple[int, PersonSummary, SubsidyRule]] = {}
    for rule in rules:
        if rule.staff_category not in set(StaffCategory):
            continue  # a category no longer on the roster covers nobody
        depth = units[rule.unit_id].path.count("/")
        for person in await people.active_people_under(rule.unit_id, StaffCategory(rule.staff_category)):
            if person.id not in nearest or nearest[person.id][0] < depth:
                nearest[person.id] = (depth, person, rule)
    return [(person, rule) for _, person, rule in sorted(nearest.values(), key=lambda m: m[1].id)]


async def _expires(person_id: int, rule: SubsidyRule | None, month: str) -> bool:
    """Whether what the person holds at the end of `month` clears: their rule says so now, or
    the rule of their latest grant did (a rule switched off or changed does not let it stay)."""
    if rule is not None and rule.expires_monthly:
        return True
    latest = (
        await SubsidyGrant.filter(person_id=person_id, month__lte=month)
        .order_by("-month")
        .select_related("rule")
        .first()
    )
    return latest is not None and latest.rule.expires_monthly


async def _clear(person: PersonSummary, month: str, at: datetime) -> bool:
    """Clear what is left of the subsidy at the end of `month` (清零) into the unit's funding;
    False if that was done before, or if a later month was granted already (clearing now would
    take that month's money)."""
    wallet = await wallets.ensure_wallet(person.id)
    if await SubsidyExpiry.exists(wallet_id=wallet.id, month=month):
        return False
    try:
        async with in_transaction() as conn:
            locked = await wallets.lock_wallet(conn, wallet.id)
            if await SubsidyGrant.filter(person_id=person.id, month__gt=month).using_db(conn).exists():
                return False
            left = locked.subsidy_balance
            transfer_id = None
            if left > 0:
                if not await wallets.debit(conn, wallet.id, subsidy=left):
                    raise RuntimeError("locked wallet could not be debited")
                transfer_id = await ledger.post(
                    conn,
                    TransferKind.SUBSIDY_EXPIRY,
                    [(ledger.wallet_subsidy(wallet.id), -left), (ledger.unit_subsidy_funding(person.unit_id), left)],
                    at=at,
                    reference=f"subsidy-expiry:{month}:{person.id}",
                    memo=f"{month} 餐补清零",
                )
            await SubsidyExpiry.create(
                wallet_id=wallet.id, month=month, amount_fen=left, transfer_id=transfer_id, using_db=conn
            )
    except IntegrityError:  # a concurrent run cleared it first; this one rolled back
        return False
    return True


async def _grant(person: PersonSummary, rule: SubsidyRule, month: str, at: datetime) -> str:
    """Credit the month's subsidy; "granted", "already" (done before) or "closed" (销户)."""
    if rule.amount_fen < 1:  # a rule saved before amounts had to be positive
        raise SubsidyError.AMOUNT_INVALID.error()
    if await SubsidyGrant.exists(person_id=person.id, month=month):
        return "already"
    wallet = await wallets.ensure_wallet(person.id)
    try:
        async with in_transaction() as conn:
            locked = await wallets.lock_wallet(conn, wallet.id)
            if locked.closed_at is not None:
                return "closed"
            await wallets.credit(conn, wallet.id, subsidy=rule.amount_fen)
            transfer_id = await ledger.post(
                conn,
                TransferKind.SUBSIDY_GRANT,
                [
                    (ledger.unit_subsidy_funding(person.unit_id), -rule.amount_fen),
                    (ledger.wallet_subsidy(wallet.id), rule.amount_fen),
                ],
                at=at,
                reference=f"subsidy:{month}:{person.id}",
                memo=f"{month} 餐补",
            )
            await SubsidyGrant.create(
                person_id=person.id,
                month=month,
                rule_id=rule.id,
                amount_fen=rule.amount_fen,
                transfer_id=transfer_id,
                using_db=conn,
            )
    except IntegrityError:  # a concurrent run granted it first; this one rolled back
        return "already"
    return "granted"


# How long a resubmitted form waits for its first run to finish (a month for a bureau's few
# thousand people takes seconds).
RUN_WAIT_POLLS, RUN_WAIT_STEP = 150, 0.2
_BATCH = 1000  # people read per query, well under the database's limit on query parameters


def _failure(person: PersonSummary, exc: Exception) -> dict:
    message = exc.message if isinstance(exc, AppError) else "内部错误，详见服务日志"
    return {"person_id": person.id, "employee_no": person.employee_no, "name": person.name, "message": message}


async def grant_month(
    month: str, at: datetime, *, actor: Actor = JOB_ACTOR, idempotency_key: str | None = None
) -> dict:
    """Credit `month`'s subsidy to everyone a rule covers, once per person and month, and clear
    the month before from every wallet whose subsidy expires. A person is cleared before being
    granted, so a new grant can never be swept away by a late clearing of the month before.

    Each person's clearing and grant are their own transactions: one that fails is listed under
    `failed` (and logged) and the others go on; running the month again retries only the missing.
    The run is kept with its outcome (and `idempotency_key`, when an admin's form started it) and
    audited as `actor`'s."""
    if month > month_of(at):
        raise SubsidyError.MONTH_IN_FUTURE.error()
    run = await _claim_run(actor, month, at, idempotency_key)
    ending = previous_month(month)
    outcome: dict = {"granted": 0, "granted_fen": 0, "already": 0, "closed": 0, "cleared": 0, "failed": []}
    covered = await _rules_by_person()
    for person, rule in covered:
        try:
            if await _expires(person.id, rule, ending) and await _clear(person, ending, at):
                outcome["cleared"] += 1
            done = await _grant(person, rule, month, at)
            outcome[done] += 1
            if done == "granted":
                outcome["granted_fen"] += rule.amount_fen
        except Exception as exc:
            log.exception("subsidy grant failed", extra={"person_id": person.id, "month": month})
            outcome["failed"].append(_failure(person, exc))
    # The covered are left out here rather than in the query: a city's worth of ids would pass
    # the database's limit on query parameters.
    covered_ids = {person.id for person, _ in covered}
    holders = await Wallet.filter(subsidy_balance__gt=0).order_by("id").values_list("person_id", flat=True)
    uncovered = [h for h in holders if h not in covered_ids]
    for start in range(0, len(uncovered), _BATCH):
        for person in await people.people_summaries(uncovered[start : start + _BATCH]):
            try:
                if await _expires(person.id, None, ending) and await _clear(person, ending, at):
                    outcome["cleared"] += 1
            except Exception as exc:
                log.exception("subsidy expiry failed", extra={"person_id": person.id, "month": ending})
                outcome["failed"].append(_failure(person, exc))
    await _finish_run(actor, run, outcome)
    return {"run_id": run.id, **outcome}


def run_view(run: SubsidyGrantRun) -> dict:
    return {
        "id": run.id,
        "month": run.month,
        "granted": run.granted,
        "granted_fen": run.granted_fen,
        "already": run.already,
        "closed": run.closed,
        "cleared": run.cleared,
        "failed": run.failures,
        "admin_name": run.admin_name,
        "ran_at": run.ran_at.isoformat(),
        "finished": run.finished_at is not None,
    }


async def _claim_run(actor: Actor, month: str, at: datetime, key: str | None) -> SubsidyGrantRun:
    """The run kept as it starts; with an admin's form key, a twin of the form breaks the unique
    key here, before it has granted anything."""
    return await SubsidyGrantRun.create(
        month=month, admin_id=actor.admin_id, admin_name=actor.name, idempotency_key=key, ran_at=at
    )


async def _finish_run(actor: Actor, run: SubsidyGrantRun, outcome: dict) -> None:
    async with in_transaction() as conn:
        run.granted, run.granted_fen, run.already = outcome["granted"], outcome["granted_fen"], outcome["already"]
        run.closed, run.cleared, run.failures = outcome["closed"], outcome["cleared"], outcome["failed"]
        run.finished_at = now()
        await run.save(using_db=conn)
        summary = {k: v for k, v in run_view(run).items() if k not in ("id", "failed", "admin_name", "finished")}
        await record(conn, actor, "wallet.grant_subsidy", "subsidy_grant_run", run.id, after=summary)


async def run_grant(actor: Actor, month: str, at: datetime, idempotency_key: str) -> dict:
    """Grant `month` for an admin's form, once per rendered form: a resubmission with the same key
    gets the first run's result back and runs nothing (the grant itself would move nothing twice
    anyway, but the run would be listed twice, each with part of what was done).

    Not `run_once`: a run is many transactions, one per person, so no lock can be held across it.
    The run claims its key as it starts instead (`_claim_run`); a twin that finds the key taken
    waits for that run to finish and answers with its result."""
    parse_month(month)
    claimed = await SubsidyGrantRun.get_or_none(idempotency_key=idempotency_key)
    if claimed is None:
        try:
            outcome = await grant_month(month, at, actor=actor, idempotency_key=idempotency_key)
            return {**run_view(await SubsidyGrantRun.get(id=outcome["run_id"])), "replayed": False}
        except IntegrityError:
            claimed = await SubsidyGrantRun.get_or_none(idempotency_key=idempotency_key)
            if claimed is None:
                raise
    if claimed.month != month:
        raise SubsidyError.KEY_USED_ELSEWHERE.error()
    return {**run_view(await _finished(claimed.id)), "replayed": True}


async def _finished(run_id: int) -> SubsidyGrantRun:
    """The run once it has finished, waited for a while (a double-click's twin arrives while the
    first is still granting); refused when it is still going after that."""
    for _ in range(RUN_WAIT_POLLS):
        run = await SubsidyGrantRun.get(id=run_id)
        if run.finished_at is not None:
            return run
        await asyncio.sleep(RUN_WAIT_STEP)
    raise SubsidyError.RUN_IN_PROGRESS.error()


async def list_runs(limit: int = 24) -> list[dict]:
    """The latest runs, newest first, with the month's standing totals (everyone granted for that
    month by any run, and the amount)."""
    runs = await SubsidyGrantRun.all().order_by("-id").limit(limit)
    totals = await month_totals({r.month for r in runs})
    return [{**run_view(r), "month_total": totals.get(r.month, {"people": 0, "amount_fen": 0})} for r in runs]


async def get_run(run_id: int) -> dict:
    run = await SubsidyGrantRun.get_or_none(id=run_id)
    if run is None:
        raise SubsidyError.RUN_NOT_FOUND.error()
    totals = await month_totals({run.month})
    return {**run_view(run), "month_total": totals.get(run.month, {"people": 0, "amount_fen": 0})}


async def month_totals(months: set[str]) -> dict[str, dict]:
    """month -> people granted and the amount, over every run, summed by the database."""
    rows = (
        await SubsidyGrant.filter(month__in=sorted(months))
        .annotate(people=Count("id"), amount=Sum("amount_fen"))
        .group_by("month")
        .values("month", "people", "amount")
    )
    return {r["month"]: {"people": r["people"], "amount_fen": int(r["amount"] or 0)} for r in rows}


async def run_monthly(at: datetime) -> dict:
    """The job of the first of each month: for each person, clear last month, then grant this one."""
    return await grant_month(month_of(at), at, actor=JOB_ACTOR)
