"""Meal subsidies (餐补): rules per unit and staff category, the monthly grant, month-end clearing.

The job may run more than once (a retried job, two schedulers during a deploy): a grant is one
row per person and month and a clearing one row per wallet and month, each unique and written in
the same transaction as its money, so a second run finds them and moves nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.models import Person, StaffCategory, Unit
from backend.core.audit import Actor, record
from backend.core.errors import ErrorCode
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet import ledger
from backend.wallet import service as wallets
from backend.wallet.models import SubsidyExpiry, SubsidyGrant, SubsidyRule, TransferKind


class SubsidyError(ErrorCode):
    UNIT_NOT_FOUND = ("wallet.subsidy_unit_not_found", 404, "单位不存在")
    MONTH_INVALID = ("wallet.subsidy_month_invalid", 422, "月份格式应为 YYYY-MM")
    MONTH_IN_FUTURE = ("wallet.subsidy_month_in_future", 422, "不能提前发放以后月份的餐补")


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
    return {"id": rule.id, "unit": unit_code, "staff_category": rule.staff_category, "amount_fen": rule.amount_fen,
            "expires_monthly": rule.expires_monthly, "is_active": rule.is_active}


async def set_rule(actor: Actor, unit_code: str, category: StaffCategory, amount_fen: int, expires_monthly: bool) -> dict:
    async with in_transaction() as conn:
        unit = await Unit.get_or_none(code=unit_code).using_db(conn)
        if unit is None:
            raise SubsidyError.UNIT_NOT_FOUND.error()
        rule, _ = await SubsidyRule.get_or_create(unit_id=unit.id, staff_category=category.value, using_db=conn,
                                                  defaults={"amount_fen": amount_fen})
        before = rule_view(rule, unit.code)
        rule.amount_fen, rule.expires_monthly, rule.is_active = amount_fen, expires_monthly, True
        await rule.save(using_db=conn)
        await record(conn, actor, "wallet.set_subsidy_rule", "subsidy_rule", rule.id, before, rule_view(rule, unit.code))
    return rule_view(rule, unit.code)


async def list_rules() -> list[dict]:
    rules = await SubsidyRule.filter(is_active=True).select_related("unit").order_by("unit__path", "staff_category")
    return [rule_view(r, r.unit.code) for r in rules]


async def _rules_by_person() -> list[tuple[Person, SubsidyRule]]:
    """Each active person with the rule of their own unit or, failing that, the nearest above."""
    rules = {(r.unit.path, r.staff_category): r
             for r in await SubsidyRule.filter(is_active=True).select_related("unit")}
    matched = []
    for person in await Person.filter(is_active=True).select_related("unit").order_by("id"):
        path = person.unit.path
        while path:
            if rule := rules.get((path, person.staff_category.value)):
                matched.append((person, rule))
                break
            path = path[: path.rstrip("/").rfind("/") + 1] if path.count("/") > 2 else ""
    return matched


async def _clear(person: Person, month: str, at: datetime) -> bool:
    """Clear what is left of the subsidy at the end of `month` (清零) into the unit's funding;
    False if that was done before."""
    wallet = await wallets.ensure_wallet(person.id)
    if await SubsidyExpiry.exists(wallet_id=wallet.id, month=month):
        return False
    try:
        async with in_transaction() as conn:
            locked = await wallets.lock_wallet(conn, wallet.id)
            left = locked.subsidy_balance
            transfer_id = None
            if left > 0:
                if not await wallets.debit(conn, wallet.id, subsidy=left):
                    raise RuntimeError("locked wallet could not be debited")
                transfer_id = await ledger.post(
                    conn, TransferKind.SUBSIDY_EXPIRY,
                    [(ledger.wallet_subsidy(wallet.id), -left), (ledger.unit_subsidy_funding(person.unit_id), left)],
                    at=at, reference=f"subsidy-expiry:{month}:{person.id}", memo=f"{month} 餐补清零",
                )
            await SubsidyExpiry.create(wallet_id=wallet.id, month=month, amount_fen=left, transfer_id=transfer_id,
                                       using_db=conn)
    except IntegrityError:  # a concurrent run cleared it first; this one rolled back
        return False
    return True


async def _grant(person: Person, rule: SubsidyRule, month: str, at: datetime) -> bool:
    if await SubsidyGrant.exists(person_id=person.id, month=month):
        return False
    wallet = await wallets.ensure_wallet(person.id)
    try:
        async with in_transaction() as conn:
            await wallets.lock_wallet(conn, wallet.id)
            await wallets.credit(conn, wallet.id, subsidy=rule.amount_fen)
            transfer_id = await ledger.post(
                conn, TransferKind.SUBSIDY_GRANT,
                [(ledger.unit_subsidy_funding(person.unit_id), -rule.amount_fen),
                 (ledger.wallet_subsidy(wallet.id), rule.amount_fen)],
                at=at, reference=f"subsidy:{month}:{person.id}", memo=f"{month} 餐补",
            )
            await SubsidyGrant.create(person_id=person.id, month=month, rule_id=rule.id, amount_fen=rule.amount_fen,
                                      transfer_id=transfer_id, using_db=conn)
    except IntegrityError:  # a concurrent run granted it first; this one rolled back
        return False
    return True


async def grant_month(month: str, at: datetime) -> dict[str, int]:
    """Credit `month`'s subsidy to everyone a rule covers, once per person and month. Where the
    rule clears at month end, the previous month is cleared first for that person, so a new
    grant can never be swept away by a late clearing of the month before."""
    if month > month_of(at):
        raise SubsidyError.MONTH_IN_FUTURE.error()
    outcome = {"granted": 0, "already": 0, "cleared": 0}
    for person, rule in await _rules_by_person():
        if rule.expires_monthly and await _clear(person, previous_month(month), at):
            outcome["cleared"] += 1
        if await _grant(person, rule, month, at):
            outcome["granted"] += 1
        else:
            outcome["already"] += 1
    return outcome


async def run_monthly(at: datetime) -> dict[str, int]:
    """The job of the first of each month: for each person, clear last month, then grant this one."""
    return await grant_month(month_of(at), at)
