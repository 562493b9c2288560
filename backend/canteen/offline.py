"""Offline terminals (脱机消费): the risk parameters they work with, and their journal upload.

An offline payment has already happened (the diner ate), so it is recorded, not refused: a card
lost or cancelled before the payment time is flagged for review; a payment beyond the balance is
advanced by the offline-overdraft account (the one account whose balance goes negative) and the
person owes it until their next top-up repays it. What the terminal was not allowed to take
offline (over the per-payment limit, or more payments per card and day than allowed) is not
charged: it is kept, refused, for a canteen manager to review, so a faulty or forged journal
cannot drain wallets or run up overdrafts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.canteen.config import TerminalConfig, clock_time, terminal_config
from backend.canteen.errors import CanteenError
from backend.canteen.models import CanteenPayment, PaymentStatus, PayMethod
from backend.canteen.payments import Attempt, PayRequest, identify_card, insert_payment, meal_so_far, store_refusal
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet import ledger
from backend.wallet import service as wallets
from backend.wallet.models import TransferKind

@dataclass(frozen=True)
class OfflinePayment:
    txn_no: str
    card_uid: str
    amount_fen: int
    paid_at: datetime


async def risk_parameters(device_id: int) -> dict:
    config = await terminal_config(device_id)
    version, uids = await wallets.blacklist()
    return {
        "canteen": {"code": config.canteen_code, "name": config.canteen_name},
        "offline_max_payment_fen": config.offline_max_payment_fen,
        "offline_max_count_per_card": config.offline_max_count_per_card,
        "blacklist_version": version,
        "blacklist": uids,
        "periods": [
            {"code": p.code, "name": p.name, "starts_at": clock_time(p.starts_minute),
             "ends_at": clock_time(p.ends_minute),
             "prices": {c.value: price for c, (price, _) in p.prices.items()}}
            for p in config.periods
        ],
    }


async def _apply_one(config: TerminalConfig, item: OfflinePayment) -> dict:
    attempt = Attempt(config, PayRequest(txn_no=item.txn_no), item.paid_at, PayMethod.CARD)
    attempt.period = config.period_at(item.paid_at.astimezone(BUSINESS_TZ))
    try:
        attempt.person, attempt.card_uid, blocked = await identify_card(item.card_uid, item.paid_at, offline=True)
    except AppError as refusal:
        # An unknown card took a meal while the terminal could not ask: keep it for review.
        attempt.card_uid = item.card_uid[:32]
        await store_refusal(attempt, refusal, amount_fen=item.amount_fen, offline=True)
        return {"txn_no": item.txn_no, "result": "recorded_unknown_card"}

    refusal = None
    if item.amount_fen > config.offline_max_payment_fen:
        refusal = CanteenError.OFFLINE_OVER_LIMIT.error()
    elif await CanteenPayment.filter(person_id=attempt.person.id, card_uid=attempt.card_uid, offline=True,
                                     status=PaymentStatus.PAID,
                                     business_date=attempt.business_date).count() >= config.offline_max_count_per_card:
        refusal = CanteenError.OFFLINE_TOO_MANY.error()
    if refusal is not None:
        await store_refusal(attempt, refusal, amount_fen=item.amount_fen, offline=True, lost_card_flag=blocked)
        return {"txn_no": item.txn_no, "result": "held_for_review", "code": refusal.code}

    wallet = await wallets.ensure_wallet(attempt.person.id)
    async with in_transaction() as conn:
        locked = await wallets.lock_wallet(conn, wallet.id)
        subsidy_used = False
        cap = 0
        if attempt.period is not None:
            _, subsidy_used = await meal_so_far(conn, attempt)
            _, cap = attempt.period.price_for(attempt.person.staff_category)
        subsidy = 0 if subsidy_used else min(max(locked.subsidy_balance, 0), cap, item.amount_fen)
        cash = min(max(locked.cash_balance, 0), item.amount_fen - subsidy)
        shortfall = item.amount_fen - subsidy - cash
        reference = f"terminal:{config.terminal_id}:{item.txn_no}"
        if shortfall:
            await wallets.advance_overdraft(conn, wallet.id, shortfall, at=item.paid_at, reference=reference)
        if not await wallets.debit(conn, wallet.id, cash=cash + shortfall, subsidy=subsidy):
            raise RuntimeError("locked wallet could not be debited")
        transfer_id = await ledger.post(
            conn, TransferKind.CANTEEN_PAYMENT,
            [(ledger.wallet_subsidy(wallet.id), -subsidy), (ledger.wallet_cash(wallet.id), -(cash + shortfall)),
             (ledger.canteen_revenue(config.canteen_id), item.amount_fen)],
            at=item.paid_at, reference=reference, memo=f"{config.canteen_name} 脱机消费",
        )
        flags = {"lost_card": blocked, "overdraft_fen": shortfall}
        await insert_payment(
            conn, attempt, status=PaymentStatus.PAID, transfer_id=transfer_id, amount_fen=item.amount_fen,
            subsidy_fen=subsidy, cash_fen=cash + shortfall, offline=True, lost_card_flag=blocked,
            overdraft_fen=shortfall, answer={"http_status": 200, "body": {"status": "paid", "offline": True, **flags}},
        )
    return {"txn_no": item.txn_no, "result": "applied", **flags}


async def upload(device_id: int, items: list[OfflinePayment]) -> list[dict]:
    """Apply a terminal's offline journal in payment-time order; a number seen before is a
    duplicate and changes nothing."""
    config = await terminal_config(device_id)
    results = []
    for item in sorted(items, key=lambda i: (i.paid_at, i.txn_no)):
        if await CanteenPayment.exists(terminal_id=config.terminal_id, terminal_txn_no=item.txn_no):
            results.append({"txn_no": item.txn_no, "result": "duplicate"})
            continue
        try:
            results.append(await _apply_one(config, item))
        except IntegrityError:  # the same entry uploaded concurrently: the other upload applied it
            results.append({"txn_no": item.txn_no, "result": "duplicate"})
    return results

