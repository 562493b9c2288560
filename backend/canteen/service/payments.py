"""Taking a payment at a terminal (秒结算), online and from an offline terminal's journal.

The terminal's own transaction number is the idempotency key: every attempt, paid or refused,
is stored with the answer given, and a retry gets that answer back and moves nothing.
Each person's payments are serialised by a lock on their wallet row, so the meal limit and
"subsidy once per meal" are counted without races; the debit itself is still conditional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import redis.asyncio as aioredis
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.models import Person, StaffCategory
from backend.canteen.errors import CanteenError
from backend.canteen.models import CanteenPayment, DailyMenu, Dish, PaymentStatus, PayMethod, TerminalMode
from backend.canteen.service.terminal_settings import PeriodConfig, TerminalConfig, terminal_config
from backend.core import sql
from backend.core.errors import AppError
from backend.core.money import yuan_text
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.models import Card, CardState, TransferKind
from backend.wallet.service import ledger, paycode, wallets

REFUSED_STATUS = 402


@dataclass(frozen=True)
class PayRequest:
    txn_no: str
    card_uid: str | None = None
    pay_code: str | None = None
    amount_fen: int | None = None
    items: tuple[tuple[int, int], ...] = ()  # (dish id, quantity)


@dataclass(frozen=True)
class PayAnswer:
    http_status: int
    body: dict


def display_name(name: str) -> str:
    """What the terminal screen shows: enough for the diner to recognise, not a full name."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


@dataclass
class Attempt:
    config: TerminalConfig
    request: PayRequest
    moment: datetime
    method: PayMethod
    period: PeriodConfig | None = None
    person: Cardholder | None = None
    card_uid: str = ""

    @property
    def business_date(self) -> date:
        return self.moment.astimezone(BUSINESS_TZ).date()


@dataclass(frozen=True)
class Cardholder:
    """Who holds a card, as much as a payment needs (read in one statement)."""

    id: int
    name: str
    staff_category: StaffCategory
    is_active: bool


def card_holder(row: dict, at: datetime, *, offline: bool) -> tuple[Cardholder, bool]:
    """The cardholder of a card row, and whether the card was lost or cancelled at `at`.
    Online, a lost or cancelled card is refused on its state (hosts' clocks may differ);
    offline, it was already used and is flagged if it was lost when the terminal took it."""
    state = CardState(row["state"])
    changed_at = sql.python_value(Card, "state_changed_at", row["state_changed_at"])
    blocked = state != CardState.ACTIVE and (not offline or changed_at is None or changed_at <= at)
    if blocked and not offline:
        raise (CanteenError.CARD_LOST if state == CardState.LOST else CanteenError.CARD_CANCELLED).error()
    holder = Cardholder(row["person_id"], row["name"], StaffCategory(row["staff_category"]), bool(row["is_active"]))
    if not holder.is_active and not offline:
        raise CanteenError.PERSON_INACTIVE.error()
    return holder, blocked


_CARD = (
    "SELECT c.state, c.state_changed_at, p.id AS person_id, p.name, p.staff_category, p.is_active "
    "FROM wallet_card c JOIN accounts_person p ON p.id = c.person_id WHERE c.uid = $1"
)


async def identify_card(raw_uid: str, at: datetime, *, offline: bool) -> tuple[Cardholder, str, bool]:
    """The cardholder, the normalised UID, and whether the card was lost/cancelled at `at`."""
    uid = wallets.normalize_uid(raw_uid)
    row = await sql.row(connections.get("default"), _CARD, uid)
    if row is None:
        raise CanteenError.UNKNOWN_CARD.error()
    holder, blocked = card_holder(row, at, offline=offline)
    return holder, uid, blocked


async def card_balance(device_id: int, raw_uid: str) -> dict:
    """A diner's balance as the terminal shows it (查询余额): the masked name and the balances.
    Unknown, lost and cancelled cards are refused as a payment with them would be."""
    await terminal_config(device_id)
    holder, _, _ = await identify_card(raw_uid, now(), offline=False)
    return {"name": display_name(holder.name), "balance": wallets.balances(await wallets.ensure_wallet(holder.id))}


async def _amount(conn: Any, attempt: Attempt) -> tuple[int, int]:
    """(amount, subsidy cap) as the server prices it; a client's price is never taken."""
    config, request, period = attempt.config, attempt.request, attempt.period
    assert period is not None and attempt.person is not None
    price, cap = period.price_for(attempt.person.staff_category)
    if config.mode == TerminalMode.FIXED_PRICE:
        if price is None:
            raise CanteenError.NO_PRICE.error()
        amount = price
    elif config.mode == TerminalMode.FREE_AMOUNT:
        if not request.amount_fen:
            raise CanteenError.AMOUNT_REQUIRED.error()
        amount = request.amount_fen
    else:
        if not request.items:
            raise CanteenError.ITEMS_REQUIRED.error()
        ids = {dish_id for dish_id, _ in request.items}
        dishes = {
            d.id: d.price_fen
            for d in await Dish.filter(id__in=ids, canteen_id=config.canteen_id, is_active=True).using_db(conn)
        }
        # What the terminal offers (menus.terminal_menu): today's menu of the meal when one is set.
        menu = await DailyMenu.get_or_none(
            canteen_id=config.canteen_id, menu_date=attempt.business_date, period_code=period.code
        ).using_db(conn)
        if set(dishes) != ids or (menu is not None and not ids <= set(menu.dish_ids)):
            raise CanteenError.DISH_UNKNOWN.error()
        amount = sum(dishes[dish_id] * qty for dish_id, qty in request.items)
    if amount > config.max_payment_fen:
        raise CanteenError.OVER_AMOUNT_LIMIT.error(limit=yuan_text(config.max_payment_fen))
    return amount, cap


async def meal_so_far(conn: Any, attempt: Attempt) -> tuple[int, bool]:
    """How many paid swipes this person has in this meal, in any canteen (one lunch is one
    lunch wherever it is eaten), and whether subsidy was used in it."""
    assert attempt.person and attempt.period
    subsidies = await sql.rows(
        conn,
        "SELECT subsidy_fen FROM canteen_payment WHERE person_id = $1 "
        "AND business_date = $2 AND period_code = $3 AND status = $4",
        *sql.db_values(
            CanteenPayment,
            person_id=attempt.person.id,
            business_date=attempt.business_date,
            period_code=attempt.period.code,
            status=PaymentStatus.PAID,
        ),
    )
    return len(subsidies), any(r["subsidy_fen"] > 0 for r in subsidies)


_PAYMENT_COLUMNS = (
    "terminal_id",
    "terminal_txn_no",
    "canteen_id",
    "person_id",
    "card_uid",
    "method",
    "business_date",
    "period_code",
    "amount_fen",
    "subsidy_fen",
    "cash_fen",
    "status",
    "refusal_code",
    "answer",
    "transfer_id",
    "paid_at",
    "offline",
    "lost_card_flag",
    "overdraft_fen",
    "refund_reason",
    "created_at",
)
_INSERT_PAYMENT = (
    f"INSERT INTO canteen_payment ({', '.join(_PAYMENT_COLUMNS)}) "
    f"VALUES ({', '.join(f'${i + 1}' for i in range(len(_PAYMENT_COLUMNS)))})"
)


def _payment_values(attempt: Attempt, **fields: Any) -> list[Any]:
    """The payment row's values in _PAYMENT_COLUMNS order, as the ORM would store them."""
    values = {
        "terminal_id": attempt.config.terminal_id,
        "terminal_txn_no": attempt.request.txn_no,
        "canteen_id": attempt.config.canteen_id,
        "person_id": attempt.person.id if attempt.person else None,
        "card_uid": attempt.card_uid,
        "method": attempt.method,
        "business_date": attempt.business_date,
        "period_code": attempt.period.code if attempt.period else "",
        "amount_fen": 0,
        "subsidy_fen": 0,
        "cash_fen": 0,
        "refusal_code": "",
        "transfer_id": None,
        "paid_at": attempt.moment,
        "offline": False,
        "lost_card_flag": False,
        "overdraft_fen": 0,
        "refund_reason": "",
        "created_at": now(),
        **fields,
    }
    return sql.db_values(CanteenPayment, **{c: values[c] for c in _PAYMENT_COLUMNS})


async def insert_payment(conn: Any, attempt: Attempt, **fields: Any) -> None:
    """Record the attempt; the unique (terminal, txn_no) makes a concurrent duplicate fail here."""
    await sql.execute(conn, _INSERT_PAYMENT, *_payment_values(attempt, **fields))


# PostgreSQL: the debit, the voucher with its legs and the payment row in one statement (one
# round trip instead of three at the lunch rush). Every part of it runs: a debit that changed no
# row is reported back and refused here, which rolls the caller's transaction back whole.
_DEBIT_CTE = f"d AS ({wallets.debit_statement('$1', '$2', '$3', '$1', '$2')} RETURNING id)"


async def _write_paid(
    conn: Any, attempt: Attempt, wallet_id: int, legs: list[tuple[str, int]], fields: dict, answer: dict
) -> None:
    """Debit the wallet, post the voucher and record the paid attempt, inside the caller's
    transaction; if the debit found the money missing, raise so that none of it is kept."""
    assert attempt.period
    voucher = {
        "at": attempt.moment,
        "reference": f"terminal:{attempt.config.terminal_id}:{attempt.request.txn_no}",
        "memo": f"{attempt.config.canteen_name} {attempt.period.name}",
    }
    paid = {"status": PaymentStatus.PAID, "answer": answer, **fields}
    if conn.capabilities.dialect != "postgres":
        if not await wallets.debit(conn, wallet_id, cash=fields["cash_fen"], subsidy=fields["subsidy_fen"]):
            raise CanteenError.INSUFFICIENT_BALANCE.error()
        transfer_id = await ledger.post(conn, TransferKind.CANTEEN_PAYMENT, legs, **voucher)
        await insert_payment(conn, attempt, transfer_id=transfer_id, **paid)
        return
    ctes, params = ledger.transfer_ctes(TransferKind.CANTEEN_PAYMENT, legs, first=4, **voucher)
    placeholders, row = [], []
    for column, value in zip(_PAYMENT_COLUMNS, _payment_values(attempt, **paid), strict=True):
        if column == "transfer_id":
            placeholders.append("(SELECT id FROM t)")
        else:
            row.append(value)
            placeholders.append(f"${3 + len(params) + len(row)}")
    written = await sql.row(
        conn,
        f"WITH {_DEBIT_CTE}, {ctes}, p AS (INSERT INTO canteen_payment ({', '.join(_PAYMENT_COLUMNS)}) "
        f"VALUES ({', '.join(placeholders)})) SELECT (SELECT count(*) FROM d) AS debited",
        fields["cash_fen"],
        fields["subsidy_fen"],
        wallet_id,
        *params,
        *row,
    )
    if written["debited"] != 1:
        raise CanteenError.INSUFFICIENT_BALANCE.error()


def _paid_answer(attempt: Attempt, payment_fields: dict, cash_after: int, subsidy_after: int) -> dict:
    assert attempt.person and attempt.period
    return {
        "status": "paid",
        "txn_no": attempt.request.txn_no,
        "message": "支付成功",
        "name": display_name(attempt.person.name),
        "period": attempt.period.name,
        "amount_fen": payment_fields["amount_fen"],
        "subsidy_fen": payment_fields["subsidy_fen"],
        "cash_fen": payment_fields["cash_fen"],
        "balance": {"cash_fen": cash_after, "subsidy_fen": subsidy_after},
    }


class _NoWallet(Exception):
    """The person has never had a wallet: create it outside the payment transaction, retry."""

    def __init__(self, person_id: int):
        super().__init__(person_id)
        self.person_id = person_id


async def _charge(attempt: Attempt) -> PayAnswer:
    try:
        return await _charge_once(attempt)
    except _NoWallet as missing:
        await wallets.ensure_wallet(missing.person_id)
        return await _charge_once(attempt)


# Who pays and the lock on their wallet, in one statement: the lunch rush is short of round trips.
_CARD_AND_WALLET = (
    "SELECT c.state, c.state_changed_at, p.id AS person_id, p.name, p.staff_category, p.is_active, "
    "w.id, w.cash_balance, w.subsidy_balance FROM wallet_card c JOIN accounts_person p ON p.id = c.person_id "
    "JOIN wallet_wallet w ON w.person_id = c.person_id WHERE c.uid = $1 FOR UPDATE OF w"
)
_WALLET = "SELECT id, cash_balance, subsidy_balance FROM wallet_wallet WHERE person_id = $1 FOR UPDATE"


async def _locked_wallet(conn: Any, attempt: Attempt) -> dict:
    if attempt.method == PayMethod.CARD:
        row = await sql.row(conn, _CARD_AND_WALLET, attempt.card_uid)
        if row is None:
            card = await sql.row(conn, "SELECT person_id FROM wallet_card WHERE uid = $1", attempt.card_uid)
            if card is None:
                raise CanteenError.UNKNOWN_CARD.error()
            raise _NoWallet(card["person_id"])
        attempt.person, _ = card_holder(row, attempt.moment, offline=False)
        return row
    assert attempt.person
    row = await sql.row(conn, _WALLET, attempt.person.id)
    if row is None:
        raise _NoWallet(attempt.person.id)
    return row


async def _charge_once(attempt: Attempt) -> PayAnswer:
    assert attempt.period
    async with in_transaction() as conn:
        wallet = await _locked_wallet(conn, attempt)
        amount, cap = await _amount(conn, attempt)
        swipes, subsidy_used = await meal_so_far(conn, attempt)
        if swipes >= attempt.period.max_swipes:
            raise CanteenError.MEAL_LIMIT_REACHED.error(limit=attempt.period.max_swipes)
        subsidy = 0 if subsidy_used else min(wallet["subsidy_balance"], cap, amount)
        cash = amount - subsidy
        if cash > wallet["cash_balance"]:
            raise CanteenError.INSUFFICIENT_BALANCE.error()
        legs = [
            (ledger.wallet_subsidy(wallet["id"]), -subsidy),
            (ledger.wallet_cash(wallet["id"]), -cash),
            (ledger.canteen_revenue(attempt.config.canteen_id), amount),
        ]
        fields = {"amount_fen": amount, "subsidy_fen": subsidy, "cash_fen": cash}
        body = _paid_answer(attempt, fields, wallet["cash_balance"] - cash, wallet["subsidy_balance"] - subsidy)
        await _write_paid(conn, attempt, wallet["id"], legs, fields, {"http_status": 200, "body": body})
    return PayAnswer(200, body)


async def store_refusal(attempt: Attempt, refusal: AppError, **fields: Any) -> PayAnswer:
    answer = PayAnswer(refusal.status, refusal.to_body())
    await insert_payment(
        connections.get("default"),
        attempt,
        status=PaymentStatus.REFUSED,
        refusal_code=refusal.code,
        answer={"http_status": answer.http_status, "body": answer.body},
        **fields,
    )
    return answer


async def _answer_of(config: TerminalConfig, txn_no: str) -> PayAnswer | None:
    stored = await sql.row(
        connections.get("default"),
        "SELECT answer FROM canteen_payment WHERE terminal_id = $1 AND terminal_txn_no = $2",
        config.terminal_id,
        txn_no,
    )
    if stored is None:
        return None
    answer = sql.python_value(CanteenPayment, "answer", stored["answer"])
    return PayAnswer(answer["http_status"], answer["body"])


async def pay(redis: aioredis.Redis, device_id: int, request: PayRequest) -> PayAnswer:
    """Take one online payment at the terminal `device_id`, or refuse it, exactly once."""
    config = await terminal_config(device_id)
    # No look-up of the number first: the unique (terminal, txn_no) row decides, and a retry
    # that gets this far rolls back on it and returns the stored answer.
    attempt = Attempt(config, request, now(), PayMethod.PAY_CODE if request.pay_code else PayMethod.CARD)
    try:
        try:
            attempt.period = config.period_at(attempt.moment.astimezone(BUSINESS_TZ))
            if attempt.period is None:
                raise CanteenError.OUTSIDE_MEAL_PERIOD.error()
            if request.pay_code:
                person = await Person.get(
                    id=await paycode.redeem(redis, request.pay_code, f"{device_id}:{request.txn_no}")
                )
                attempt.person = Cardholder(person.id, person.name, person.staff_category, person.is_active)
                if not attempt.person.is_active:
                    raise CanteenError.PERSON_INACTIVE.error()
            else:
                attempt.card_uid = wallets.normalize_uid(request.card_uid or "")
            return await _charge(attempt)
        except AppError as refusal:
            if refusal.status != REFUSED_STATUS:
                raise
            return await store_refusal(attempt, refusal)
    except IntegrityError:
        # The same transaction number was taken concurrently: its answer is the answer.
        stored = await _answer_of(config, request.txn_no)
        if stored is None:
            raise
        return stored
