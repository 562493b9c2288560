"""Paying a person's cash back (现金退款) and closing their wallet (销户).

Cash leaves the wallet into `refunds:payable`, what the finance desk pays out in cash or by bank
transfer; each payout is a CashRefund row naming who paid, why and how, one per idempotency key.
Subsidy is never paid out: on closing, what is left goes back to the unit's subsidy funding.
The wallet row is locked first, as payments lock it, so a refund and a payment on one wallet
queue there, and the debit is still the conditional one: the cash can never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.accounts.service import people
from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.timeutil import now
from backend.wallet.errors import WalletError
from backend.wallet.models import (
    Card,
    CardState,
    CashRefund,
    RefundMethod,
    TopUpOrder,
    TopUpStatus,
    TransferKind,
    Wallet,
)
from backend.wallet.service import ledger, wallets


@dataclass(frozen=True)
class Payout:
    """How the money reaches the person, and why: what the finance desk writes on the voucher."""

    method: RefundMethod
    reference: str
    reason: str

    def memo(self) -> str:
        reference = f" {self.reference}" if self.reference else ""
        return f"{self.method.label}{reference}：{self.reason}"


def refund_view(refund: CashRefund) -> dict:
    return {
        "id": refund.id,
        "amount_fen": refund.amount_fen,
        "subsidy_forfeited_fen": refund.subsidy_forfeited_fen,
        "closes_wallet": refund.closes_wallet,
        "method": refund.method.value,
        "method_label": refund.method.label,
        "payout_reference": refund.payout_reference,
        "reason": refund.reason,
        "admin_name": refund.admin_name,
        "created_at": refund.created_at.isoformat(),
    }


async def list_refunds(person_id: int) -> list[dict]:
    return [refund_view(r) for r in await CashRefund.filter(wallet__person_id=person_id).order_by("-id")]


async def refund_cash(actor: Actor, person_id: int, amount_fen: int, payout: Payout, idempotency_key: str) -> dict:
    """Pay `amount_fen` of the cash balance back to the person, never more than it holds.
    The same idempotency key (per admin) pays once: a retry returns the first refund."""
    if amount_fen <= 0:
        raise WalletError.REFUND_AMOUNT_INVALID.error()
    return await _pay_out(actor, person_id, amount_fen, payout, idempotency_key, closing=False)


async def close_wallet(actor: Actor, person_id: int, payout: Payout, idempotency_key: str) -> dict:
    """销户: pay back all the cash, return the subsidy left to the unit's funding (it is not
    refundable) and cancel the person's cards, in one transaction. Refused while a WeChat top-up
    is pending (its money could arrive after) or an offline overdraft is owed."""
    return await _pay_out(actor, person_id, None, payout, idempotency_key, closing=True)


async def close_locked(conn: Any, locked: Wallet, actor: Actor, person_id: int, payout: Payout, key: str) -> dict:
    """销户 inside the caller's transaction, which holds the wallet's lock (`wallets.lock_wallet`)
    and answers for `key` being used once: a person's leaving (离职) closes the wallet in the
    transaction that marks them as left."""
    return await _pay_out_locked(conn, locked, actor, person_id, None, payout, key, closing=True)


async def _pay_out(
    actor: Actor, person_id: int, amount_fen: int | None, payout: Payout, idempotency_key: str, *, closing: bool
) -> dict:
    if payout.method is RefundMethod.BANK_TRANSFER and not payout.reference:
        raise WalletError.REFUND_REFERENCE_REQUIRED.error()
    key = f"{'close' if closing else 'refund'}:{actor.admin_id or 'cli'}:{idempotency_key}"
    wallet = await wallets.ensure_wallet(person_id)

    def same_payout(done: CashRefund) -> bool:
        """A retry asks for the same thing (a closing carries no amount); a key reused for
        another person or amount is refused, never answered as done."""
        return done.wallet_id == wallet.id and (amount_fen is None or done.amount_fen == amount_fen)

    async def replayed(done: CashRefund) -> dict:
        return {**refund_view(done), "replayed": True}

    return await idempotency.run_once(
        lambda conn, locked: _pay_out_locked(conn, locked, actor, person_id, amount_fen, payout, key, closing=closing),
        lock=lambda conn: wallets.lock_wallet(conn, wallet.id),
        find=lambda conn: CashRefund.get_or_none(idempotency_key=key).using_db(conn),
        matches=same_payout,
        refusal=WalletError.KEY_USED_ELSEWHERE.error,
        replay=replayed,
    )


async def _pay_out_locked(
    conn: Any,
    locked: Wallet,
    actor: Actor,
    person_id: int,
    amount_fen: int | None,
    payout: Payout,
    key: str,
    *,
    closing: bool,
) -> dict:
    """The payout itself, in the transaction that holds the wallet's lock, stored as the
    CashRefund row under `key`."""
    before = {**wallets.balances(locked), "closed": locked.closed_at is not None}
    if locked.overdraft_owed > 0:
        raise WalletError.REFUND_OVERDRAFT_OWED.error()
    if closing:
        if locked.closed_at is not None:
            raise WalletError.WALLET_CLOSED.error()
        if await TopUpOrder.filter(person_id=person_id, status=TopUpStatus.PENDING).using_db(conn).exists():
            raise WalletError.CLOSE_PENDING_TOPUP.error()
    cash = locked.cash_balance if closing else amount_fen
    subsidy = locked.subsidy_balance if closing else 0
    if not await wallets.debit(conn, locked.id, cash=cash, subsidy=subsidy):
        raise WalletError.REFUND_AMOUNT_INVALID.error()
    at = now()
    transfer_id = None
    if cash:
        transfer_id = await ledger.post(
            conn,
            TransferKind.CASH_REFUND,
            [(ledger.wallet_cash(locked.id), -cash), (ledger.REFUNDS_PAYABLE, cash)],
            at=at,
            reference=f"admin:{actor.admin_id}",
            memo=payout.memo(),
        )
    if subsidy:
        unit_id = (await people.person_summary(person_id, conn)).unit_id
        await ledger.post(
            conn,
            TransferKind.SUBSIDY_FORFEIT,
            [(ledger.wallet_subsidy(locked.id), -subsidy), (ledger.unit_subsidy_funding(unit_id), subsidy)],
            at=at,
            reference=f"admin:{actor.admin_id}",
            memo=f"销户收回餐补：{payout.reason}",
        )
    if closing:
        await Wallet.filter(id=locked.id).using_db(conn).update(closed_at=at)
        await (
            Card.filter(person_id=person_id, state__in=[CardState.ACTIVE, CardState.LOST])
            .using_db(conn)
            .update(state=CardState.CANCELLED, state_changed_at=at)
        )
    refund = await CashRefund.create(
        wallet_id=locked.id,
        amount_fen=cash,
        subsidy_forfeited_fen=subsidy,
        closes_wallet=closing,
        method=payout.method,
        payout_reference=payout.reference,
        reason=payout.reason,
        admin_id=actor.admin_id,
        admin_name=actor.name[:64],
        idempotency_key=key,
        transfer_id=transfer_id,
        using_db=conn,
    )
    after = {
        **wallets.balances(await Wallet.get(id=locked.id).using_db(conn)),
        "closed": closing or before["closed"],
        **refund_view(refund),
    }
    await record(conn, actor, "wallet.close" if closing else "wallet.refund_cash", "wallet", locked.id, before, after)
    return {**refund_view(refund), "replayed": False}
