"""Taking a payment at a terminal (秒结算), online and from an offline terminal's journal.

The terminal's own transaction number is the idempotency key: every attempt, paid or refused,
is stored with the answer given, and a retry gets that answer back and moves nothing.
The money moves through the wallet's one charge operation (backend.wallet.service.charge),
which locks the person's wallet row: the canteen prices the payment and counts the meal under
that lock (rules.py), so the meal limit and "subsidy once per meal" hold without races, and
hands the wallet the payment row to write in the same statement as the debit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import redis.asyncio as aioredis
from tortoise import connections

from backend.accounts.service import people
from backend.accounts.service.people import PersonSummary
from backend.canteen.errors import CanteenError
from backend.canteen.models import CanteenPayment, DailyMenu, Dish, PaymentStatus, PayMethod, TerminalMode
from backend.canteen.service import rules
from backend.canteen.service.terminal_settings import PeriodConfig, TerminalConfig, terminal_config
from backend.core import idempotency, sql
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.service import charge, ledger, paycode, wallets

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
    person: PersonSummary | None = None
    card_uid: str = ""

    @property
    def business_date(self) -> date:
        return self.moment.astimezone(BUSINESS_TZ).date()

    @property
    def reference(self) -> str:
        """The voucher's reference: the terminal and its transaction number."""
        return f"terminal:{self.config.terminal_id}:{self.request.txn_no}"


# The wallet's refusals, in the words a diner reads at the terminal.
_REFUSALS = {
    charge.ChargeRefusal.UNKNOWN_CARD: CanteenError.UNKNOWN_CARD,
    charge.ChargeRefusal.CARD_LOST: CanteenError.CARD_LOST,
    charge.ChargeRefusal.CARD_CANCELLED: CanteenError.CARD_CANCELLED,
    charge.ChargeRefusal.PERSON_INACTIVE: CanteenError.PERSON_INACTIVE,
    charge.ChargeRefusal.INSUFFICIENT_BALANCE: CanteenError.INSUFFICIENT_BALANCE,
}


async def identify_card(raw_uid: str, at: datetime, *, offline: bool) -> tuple[PersonSummary, str, bool]:
    """The cardholder, the normalised UID, and whether the card was lost/cancelled at `at`.
    Online, a lost or cancelled card or a holder who left is refused; offline, the card was
    already used, and is flagged if it was lost when the terminal took it."""
    card = await charge.find_card(wallets.normalize_uid(raw_uid))
    if card is None:
        raise CanteenError.UNKNOWN_CARD.error()
    if offline:
        return card.holder, card.uid, rules.flagged_lost_card(card.state, card.state_changed_at, at)
    if (refusal := charge.card_refusal(card.state, card.holder)) is not None:
        raise _REFUSALS[refusal].error()
    return card.holder, card.uid, False


async def card_balance(device_id: int, raw_uid: str) -> dict:
    """A diner's balance as the terminal shows it (查询余额): the masked name and the balances.
    Unknown, lost and cancelled cards are refused as a payment with them would be."""
    await terminal_config(device_id)
    holder, _, _ = await identify_card(raw_uid, now(), offline=False)
    return {"name": display_name(holder.name), "balance": wallets.balances(await wallets.ensure_wallet(holder.id))}


async def _price(conn: Any, attempt: Attempt) -> tuple[int, int]:
    """(amount, subsidy cap) as the server prices it (rules.price_payment), with the dishes a
    menu terminal's diner chose read first."""
    config, request, period = attempt.config, attempt.request, attempt.period
    assert period is not None and attempt.person is not None
    dishes: dict[int, int] = {}
    menu_dish_ids = None
    if config.mode == TerminalMode.MENU and request.items:
        ids = {dish_id for dish_id, _ in request.items}
        dishes = {
            d.id: d.price_fen
            for d in await Dish.filter(id__in=ids, canteen_id=config.canteen_id, is_active=True).using_db(conn)
        }
        # What the terminal offers (menus.terminal_menu): today's menu of the meal when one is set.
        menu = await DailyMenu.get_or_none(
            canteen_id=config.canteen_id, menu_date=attempt.business_date, period_code=period.code
        ).using_db(conn)
        menu_dish_ids = None if menu is None else menu.dish_ids
    return rules.price_payment(
        config,
        period,
        attempt.person.staff_category,
        amount_fen=request.amount_fen,
        items=request.items,
        dishes=dishes,
        menu_dish_ids=menu_dish_ids,
    )


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


def payment_row(attempt: Attempt, **fields: Any) -> dict[str, Any]:
    """The payment row by column, in _PAYMENT_COLUMNS order, as the ORM would store it; a
    `transfer_id` of charge.TRANSFER_ID is left for the wallet to fill in."""
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
    stored = {c: values[c] for c in _PAYMENT_COLUMNS if values[c] is not charge.TRANSFER_ID}
    row = dict(zip(stored, sql.db_values(CanteenPayment, **stored), strict=True))
    return {c: row.get(c, charge.TRANSFER_ID) for c in _PAYMENT_COLUMNS}


async def insert_payment(conn: Any, attempt: Attempt, **fields: Any) -> None:
    """Record the attempt; the unique (terminal, txn_no) makes a concurrent duplicate fail here."""
    await sql.execute(conn, _INSERT_PAYMENT, *payment_row(attempt, **fields).values())


def paid_row(attempt: Attempt, charged: charge.Charged, answer_body: dict, **fields: Any) -> charge.ExtraInsert:
    """The paid payment row the wallet writes with its charge."""
    return charge.ExtraInsert(
        "canteen_payment",
        payment_row(
            attempt,
            status=PaymentStatus.PAID,
            transfer_id=charge.TRANSFER_ID,
            amount_fen=charged.terms.amount_fen,
            subsidy_fen=charged.split.subsidy_fen,
            cash_fen=charged.split.cash_fen,
            answer={"http_status": 200, "body": answer_body},
            **fields,
        ),
    )


def _paid_answer(attempt: Attempt, charged: charge.Charged) -> dict:
    assert attempt.person and attempt.period
    return {
        "status": "paid",
        "txn_no": attempt.request.txn_no,
        "message": "支付成功",
        "name": display_name(attempt.person.name),
        "period": attempt.period.name,
        "amount_fen": charged.terms.amount_fen,
        "subsidy_fen": charged.split.subsidy_fen,
        "cash_fen": charged.split.cash_fen,
        "balance": {"cash_fen": charged.cash_after, "subsidy_fen": charged.subsidy_after},
    }


async def _charge(attempt: Attempt) -> PayAnswer:
    """Charge the card's or the pay code's person through the wallet: priced, and the meal
    counted, under the wallet's lock."""
    period = attempt.period
    assert period is not None

    async def terms(conn: Any, wallet: charge.LockedWallet) -> charge.ChargeTerms:
        attempt.person = wallet.holder
        amount, cap = await _price(conn, attempt)
        swipes, subsidy_used = await meal_so_far(conn, attempt)
        if (refusal := rules.meal_limit_refusal(period, swipes)) is not None:
            raise refusal
        return charge.ChargeTerms(amount, cap, subsidy_used)

    answers: list[dict] = []

    def paid(charged: charge.Charged) -> charge.ExtraInsert:
        answers.append(_paid_answer(attempt, charged))
        return paid_row(attempt, charged, answers[-1])

    try:
        await charge.charge(
            attempt.person or attempt.card_uid,
            at=attempt.moment,
            terms=terms,
            revenue_account=ledger.canteen_revenue(attempt.config.canteen_id),
            reference=attempt.reference,
            memo=f"{attempt.config.canteen_name} {period.name}",
            extra=paid,
        )
    except charge.ChargeRefused as refused:
        raise _REFUSALS[refused.reason].error() from None
    return PayAnswer(200, answers[-1])


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


async def pay(redis: aioredis.Redis, device_id: int, request: PayRequest, at: datetime | None = None) -> PayAnswer:
    """Take one online payment at the terminal `device_id`, or refuse it, exactly once. It is
    taken now; `at` is for the demo data alone, which fills a past week through this same path."""
    config = await terminal_config(device_id)
    attempt = Attempt(config, request, at or now(), PayMethod.PAY_CODE if request.pay_code else PayMethod.CARD)

    async def attempted(_conn: Any, _unlocked: None) -> PayAnswer:
        try:
            attempt.period = config.period_at(attempt.moment.astimezone(BUSINESS_TZ))
            if attempt.period is None:
                raise CanteenError.OUTSIDE_MEAL_PERIOD.error()
            if request.pay_code:
                attempt.person = await people.person_summary(
                    await paycode.redeem(redis, request.pay_code, f"{device_id}:{request.txn_no}")
                )
                if not attempt.person.is_active:
                    raise CanteenError.PERSON_INACTIVE.error()
            else:
                attempt.card_uid = wallets.normalize_uid(request.card_uid or "")
            return await _charge(attempt)
        except AppError as refusal:
            if refusal.status != REFUSED_STATUS:
                raise
            return await store_refusal(attempt, refusal)

    async def replayed(answer: PayAnswer) -> PayAnswer:
        return answer

    # No look-up of the number first: the unique (terminal, txn_no) row decides, and a retry
    # that gets this far rolls back on it and is given the stored answer. The charge and the
    # refusal keep their own transactions.
    return await idempotency.run_once(
        attempted,
        find=lambda _conn: _answer_of(config, request.txn_no),
        replay=replayed,
        look_first=False,
        transaction=False,
    )
