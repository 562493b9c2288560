"""Offline terminals (脱机消费): the risk parameters they work with, and their journal upload.

An offline payment has already happened (the diner ate), so it is recorded, not refused: a card
lost or cancelled before the payment time is flagged for review; a payment beyond the balance is
advanced by the offline-overdraft account (the one account whose balance goes negative) and the
person owes it until their next top-up repays it. What the terminal was not allowed to take
offline (over the per-payment limit, or more payments per card and day than allowed) is not
charged: it is kept, refused, for a canteen manager to review, so a faulty or forged journal
cannot drain wallets or run up overdrafts.

A voided entry is an online attempt the terminal got no answer to and then refused offline: the
diner was told "refused" and nothing is ever charged for it. If the server did apply that
attempt, the payment is marked disputed for a canteen manager to review (终端提示拒绝，待核查).

The terminal and the server decide an offline payment by the same rules, so that a meal the
terminal showed as paid is charged as shown: the price is the diner's own (the risk parameters
carry the cards whose holder is not priced as staff, with their category), and the limits are
counted per card at this terminal (all the terminal can know): payments per business day, and
swipes per meal period. An uploaded amount that is not the diner's price is held, not repriced:
the screen and the receipt said that amount. The server alone also holds what no terminal could
know: a meal already taken at another terminal, and a meal of a wallet closed since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError

from backend.accounts.service.people import StaffCategory
from backend.canteen.errors import CanteenError
from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus, PayMethod
from backend.canteen.service import rules
from backend.canteen.service.payments import (
    Attempt,
    PayRequest,
    identify_card,
    meal_so_far,
    paid_row,
    store_refusal,
)
from backend.canteen.service.terminal_settings import TerminalConfig, clock_time, diner_category, terminal_config
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet.service import charge, ledger, wallets


@dataclass(frozen=True)
class OfflinePayment:
    txn_no: str
    card_uid: str
    amount_fen: int
    paid_at: datetime
    voided: bool = False


async def card_categories() -> tuple[str, dict[str, list[str]]]:
    """The active cards whose holder is not priced as staff, by diner category, and a version
    that changes whenever the lists do (a digest of them). Staff are the many and the default,
    so only the others are sent: a terminal prices a card missing here at the staff price."""
    others = {c: diner_category(c) for c in StaffCategory}
    others = {staff: diner for staff, diner in others.items() if diner != DinerCategory.STAFF}
    lists: dict[str, list[str]] = {}
    for uid, staff in await wallets.active_cards_of(list(others)):
        lists.setdefault(others[staff].value, []).append(uid)
    lists = {category: sorted(uids) for category, uids in sorted(lists.items())}
    digest = hashlib.sha256(json.dumps(lists, separators=(",", ":")).encode()).hexdigest()[:16]
    return digest, lists


async def risk_parameters(device_id: int, known_categories_version: str | None = None) -> dict:
    """What a terminal works with offline (limits, the blacklist with its version, the diner
    category of the cards not priced as staff) and what its idle screen shows (canteen, mode,
    meal periods with their prices and swipes per card, the per-payment limit).

    The card categories can run to thousands of UIDs while they rarely change: a terminal that
    names the version it holds (`known_categories_version`) gets `card_categories` only when
    that version is not the current one."""
    config = await terminal_config(device_id)
    version, uids = await wallets.blacklist()
    categories_version, categories = await card_categories()
    return {
        "canteen": {"code": config.canteen_code, "name": config.canteen_name},
        "mode": config.mode.value,
        "max_payment_fen": config.max_payment_fen,
        "offline_max_payment_fen": config.offline_max_payment_fen,
        "offline_max_count_per_card": config.offline_max_count_per_card,
        "blacklist_version": version,
        "blacklist": uids,
        "card_categories_version": categories_version,
        **({} if known_categories_version == categories_version else {"card_categories": categories}),
        "periods": [
            {
                "code": p.code,
                "name": p.name,
                "starts_at": clock_time(p.starts_minute),
                "ends_at": clock_time(p.ends_minute),
                "max_swipes": p.max_swipes,
                "prices": {c.value: price for c, (price, _) in p.prices.items()},
            }
            for p in config.periods
        ],
    }


async def _periods_charged_here(config: TerminalConfig, attempt: Attempt) -> list[str]:
    """The meal periods of the card's payments charged from this terminal's journal that day."""
    assert attempt.person is not None
    periods = await CanteenPayment.filter(
        terminal_id=config.terminal_id,
        person_id=attempt.person.id,
        card_uid=attempt.card_uid,
        offline=True,
        status=PaymentStatus.PAID,
        business_date=attempt.business_date,
    ).values_list("period_code", flat=True)
    return [str(code) for code in periods]


class _Held(Exception):
    """A rule held the payment back: one of rules.offline_refusal's, or one only checked with
    the wallet locked (rules.offline_refusal_under_lock)."""

    def __init__(self, refusal: AppError):
        self.refusal = refusal


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

    try:
        held_by = rules.offline_refusal(
            config,
            attempt.period,
            attempt.person.staff_category,
            item.amount_fen,
            await _periods_charged_here(config, attempt),
        )
        if held_by is not None:
            raise _Held(held_by)
        return await _charge(config, attempt, item, blocked)
    except _Held as held:
        await store_refusal(attempt, held.refusal, amount_fen=item.amount_fen, offline=True, lost_card_flag=blocked)
        return {"txn_no": item.txn_no, "result": "held_for_review", "code": held.refusal.code}


async def _charge(config: TerminalConfig, attempt: Attempt, item: OfflinePayment, blocked: bool) -> dict:
    """Charge the payment through the wallet as it was taken: the diner already ate, so what the
    balance lacks is advanced by the offline-overdraft account."""
    period = attempt.period
    assert attempt.person is not None and period is not None

    async def terms(conn: Any, wallet: charge.LockedWallet) -> charge.ChargeTerms:
        swipes, subsidy_used = await meal_so_far(conn, attempt)
        if (refusal := rules.offline_refusal_under_lock(period, wallet.closed, swipes)) is not None:
            raise _Held(refusal)
        _, cap = period.price_for(wallet.holder.staff_category)
        return charge.ChargeTerms(item.amount_fen, cap, subsidy_used)

    def paid(charged: charge.Charged) -> charge.ExtraInsert:
        flags = {"lost_card": blocked, "overdraft_fen": charged.split.overdraft_fen}
        return paid_row(
            attempt,
            charged,
            {"status": "paid", "offline": True, **flags},
            offline=True,
            lost_card_flag=blocked,
            overdraft_fen=charged.split.overdraft_fen,
        )

    charged = await charge.charge(
        attempt.person,
        at=item.paid_at,
        terms=terms,
        revenue_account=ledger.canteen_revenue(config.canteen_id),
        reference=attempt.reference,
        memo=f"{config.canteen_name} 脱机消费",
        extra=paid,
        allow_overdraft=True,
    )
    return {
        "txn_no": item.txn_no,
        "result": "applied",
        "lost_card": blocked,
        "overdraft_fen": charged.split.overdraft_fen,
    }


async def _seen_before(seen: CanteenPayment, item: OfflinePayment) -> dict:
    """An entry whose number the server already has. If the server refused it online but the
    terminal, not hearing back in time, let the diner eat offline, the refusal is put in front of
    a canteen manager (待核查) instead of the meal going unaccounted for."""
    if seen.status == PaymentStatus.REFUSED and not seen.offline:
        # What the terminal took, so the manager sees the meal, not a ¥0 refusal.
        await CanteenPayment.filter(id=seen.id, offline=False).update(offline=True, amount_fen=item.amount_fen)
        return {"txn_no": item.txn_no, "result": "held_for_review", "code": seen.refusal_code}
    return {"txn_no": item.txn_no, "result": "duplicate", "status": seen.status.value}


async def _voided(seen: CanteenPayment | None, item: OfflinePayment) -> dict:
    """A voided entry charges nothing; only an attempt the server applied needs a person."""
    if seen is None:
        return {"txn_no": item.txn_no, "result": "voided"}
    if seen.status == PaymentStatus.PAID:
        await CanteenPayment.filter(id=seen.id).update(disputed=True)
        return {"txn_no": item.txn_no, "result": "held_for_review", "code": CanteenError.DISPUTED.code}
    return {"txn_no": item.txn_no, "result": "duplicate", "status": seen.status.value}


async def upload(device_id: int, items: list[OfflinePayment]) -> list[dict]:
    """Apply a terminal's offline journal in payment-time order; a number seen before changes no
    money (see _seen_before), nor does a voided entry (see _voided)."""
    config = await terminal_config(device_id)
    results = []
    for item in sorted(items, key=lambda i: (i.paid_at, i.txn_no)):
        seen = await CanteenPayment.get_or_none(terminal_id=config.terminal_id, terminal_txn_no=item.txn_no)
        if item.voided:
            results.append(await _voided(seen, item))
            continue
        if seen is not None:
            results.append(await _seen_before(seen, item))
            continue
        try:
            results.append(await _apply_one(config, item))
        except IntegrityError:  # the same entry uploaded concurrently: the other upload applied it
            results.append({"txn_no": item.txn_no, "result": "duplicate"})
    return results
