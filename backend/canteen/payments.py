"""Taking a payment at a terminal (秒结算), online and from an offline terminal's journal.

The terminal's own transaction number is the idempotency key: every attempt, paid or refused,
is stored with the answer given, and a retry gets that answer back and moves nothing.
Each person's payments are serialised by a lock on their wallet row, so the meal limit and
"subsidy once per meal" are counted without races; the debit itself is still conditional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.models import Person
from backend.canteen.config import PeriodConfig, TerminalConfig, diner_category, terminal_config
from backend.canteen.errors import CanteenError
from backend.canteen.models import CanteenPayment, Dish, PaymentStatus, PayMethod, TerminalMode
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet import ledger, paycode
from backend.wallet import service as wallets
from backend.wallet.models import Card, CardState, TransferKind

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

    @classmethod
    def stored(cls, payment: CanteenPayment) -> "PayAnswer":
        return cls(payment.answer["http_status"], payment.answer["body"])


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
    person: Person | None = None
    card_uid: str = ""

    def payment(self, **fields: Any) -> CanteenPayment:
        return CanteenPayment(
            terminal_id=self.config.terminal_id,
            terminal_txn_no=self.request.txn_no,
            canteen_id=self.config.canteen_id,
            person_id=self.person.id if self.person else None,
            card_uid=self.card_uid,
            method=self.method,
            business_date=self.moment.astimezone(BUSINESS_TZ).date(),
            period_code=self.period.code if self.period else "",
            paid_at=self.moment,
            **fields,
        )


async def identify_card(raw_uid: str, at: datetime, *, offline: bool) -> tuple[Person | None, str, bool]:
    """The cardholder, the normalised UID, and whether the card was lost/cancelled at `at`.
    Online, a lost or cancelled card is refused; offline it was already used and is flagged."""
    uid = wallets.normalize_uid(raw_uid)
    card = await Card.get_or_none(uid=uid).select_related("person")
    if card is None:
        raise CanteenError.UNKNOWN_CARD.error()
    blocked = card.state != CardState.ACTIVE and (card.state_changed_at is None or card.state_changed_at <= at)
    if blocked and not offline:
        raise (CanteenError.CARD_LOST if card.state == CardState.LOST else CanteenError.CARD_CANCELLED).error()
    if not card.person.is_active and not offline:
        raise CanteenError.PERSON_INACTIVE.error()
    return card.person, uid, blocked


async def _amount(attempt: Attempt) -> tuple[int, int]:
    """(amount, subsidy cap) as the server prices it; a client's price is never taken."""
    config, request, period = attempt.config, attempt.request, attempt.period
    assert period is not None and attempt.person is not None
    price, cap = period.prices.get(diner_category(attempt.person.staff_category), (None, 0))
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
        dishes = {d.id: d.price_fen for d in await Dish.filter(id__in=ids, canteen_id=config.canteen_id, is_active=True)}
        if set(dishes) != ids:
            raise CanteenError.DISH_UNKNOWN.error()
        amount = sum(dishes[dish_id] * qty for dish_id, qty in request.items)
    if amount > config.max_payment_fen:
        raise CanteenError.OVER_AMOUNT_LIMIT.error(limit=f"{config.max_payment_fen / 100:.2f}")
    return amount, cap


async def meal_so_far(conn: Any, attempt: Attempt) -> tuple[int, bool]:
    """How many paid swipes this person has in this meal, and whether subsidy was used in it."""
    assert attempt.person and attempt.period
    subsidies = await CanteenPayment.filter(
        person_id=attempt.person.id,
        canteen_id=attempt.config.canteen_id,
        business_date=attempt.moment.astimezone(BUSINESS_TZ).date(),
        period_code=attempt.period.code,
        status=PaymentStatus.PAID,
    ).using_db(conn).values_list("subsidy_fen", flat=True)
    return len(subsidies), any(s > 0 for s in subsidies)


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


async def _charge(attempt: Attempt, amount: int, cap: int) -> PayAnswer:
    assert attempt.person and attempt.period
    wallet = await wallets.ensure_wallet(attempt.person.id)
    async with in_transaction() as conn:
        locked = await wallets.lock_wallet(conn, wallet.id)
        swipes, subsidy_used = await meal_so_far(conn, attempt)
        if swipes >= attempt.period.max_swipes:
            raise CanteenError.MEAL_LIMIT_REACHED.error(limit=attempt.period.max_swipes)
        subsidy = 0 if subsidy_used else min(locked.subsidy_balance, cap, amount)
        cash = amount - subsidy
        if cash > locked.cash_balance or not await wallets.debit(conn, wallet.id, cash=cash, subsidy=subsidy):
            raise CanteenError.INSUFFICIENT_BALANCE.error()
        transfer = await ledger.post(
            conn,
            TransferKind.CANTEEN_PAYMENT,
            [
                (ledger.wallet_subsidy(wallet.id), -subsidy),
                (ledger.wallet_cash(wallet.id), -cash),
                (ledger.canteen_revenue(attempt.config.canteen_id), amount),
            ],
            at=attempt.moment,
            reference=f"terminal:{attempt.config.terminal_id}:{attempt.request.txn_no}",
            memo=f"{attempt.config.canteen_name} {attempt.period.name}",
        )
        fields = {"amount_fen": amount, "subsidy_fen": subsidy, "cash_fen": cash}
        body = _paid_answer(attempt, fields, locked.cash_balance - cash, locked.subsidy_balance - subsidy)
        payment = attempt.payment(status=PaymentStatus.PAID, transfer_id=transfer.id, **fields,
                                  answer={"http_status": 200, "body": body})
        await payment.save(using_db=conn)
    return PayAnswer(200, body)


async def _store_refusal(attempt: Attempt, refusal: AppError) -> PayAnswer:
    answer = PayAnswer(refusal.status, refusal.to_body())
    payment = attempt.payment(
        status=PaymentStatus.REFUSED, refusal_code=refusal.code,
        answer={"http_status": answer.http_status, "body": answer.body},
    )
    await payment.save()
    return answer


async def _answer_of(config: TerminalConfig, txn_no: str) -> PayAnswer | None:
    existing = await CanteenPayment.get_or_none(terminal_id=config.terminal_id, terminal_txn_no=txn_no)
    return PayAnswer.stored(existing) if existing else None


async def pay(redis: aioredis.Redis, device_id: int, request: PayRequest) -> PayAnswer:
    """Take one online payment at the terminal `device_id`, or refuse it, exactly once."""
    config = await terminal_config(device_id)
    if (previous := await _answer_of(config, request.txn_no)) is not None:
        return previous
    attempt = Attempt(config, request, now(), PayMethod.PAY_CODE if request.pay_code else PayMethod.CARD)
    try:
        try:
            attempt.period = config.period_at(attempt.moment.astimezone(BUSINESS_TZ))
            if attempt.period is None:
                raise CanteenError.OUTSIDE_MEAL_PERIOD.error()
            if request.pay_code:
                person_id = await paycode.redeem(redis, request.pay_code)
                attempt.person = await Person.get(id=person_id)
                if not attempt.person.is_active:
                    raise CanteenError.PERSON_INACTIVE.error()
            else:
                attempt.person, attempt.card_uid, _ = await identify_card(request.card_uid or "", attempt.moment, offline=False)
            amount, cap = await _amount(attempt)
            return await _charge(attempt, amount, cap)
        except AppError as refusal:
            if refusal.status != REFUSED_STATUS:
                raise
            return await _store_refusal(attempt, refusal)
    except IntegrityError:
        # The same transaction number was taken concurrently: its answer is the answer.
        stored = await _answer_of(config, request.txn_no)
        if stored is None:
            raise
        return stored
