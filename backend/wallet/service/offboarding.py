"""The wallet's part of a person leaving (离职), declared in wallet/module.py as `person_leaving`
and run by accounts' leave form inside the transaction that marks the person as left.

A wallet still holding money is closed by the closing rules of 销户 (`cash_refund`): the cash is
paid back by the refund method the leave form asked for, the subsidy goes back to the unit's
funding, the cards are cancelled; refused while a WeChat top-up is pending or an offline
overdraft is owed. A wallet holding nothing is left as it is and only the cards are cancelled.
"""

from __future__ import annotations

from typing import Any

from backend.accounts.service.leaving import Departure, LeavingField, LeavingPreview
from backend.core.audit import Actor, record
from backend.core.money import format_yuan
from backend.core.timeutil import now
from backend.wallet.errors import WalletError
from backend.wallet.models import Card, CardState, RefundMethod, TopUpOrder, TopUpStatus, Wallet
from backend.wallet.service import cash_refund, wallets

TITLE = "一卡通"
METHOD_FIELD = "wallet_refund_method"
REFERENCE_FIELD = "wallet_refund_reference"
REFUND_FIELDS = [
    LeavingField(METHOD_FIELD, "现金退款方式", tuple((m.value, m.label) for m in RefundMethod)),
    LeavingField(REFERENCE_FIELD, "退款凭证号", required=False, help="银行转账流水号或现金收据号；银行转账必填"),
]
_LIVE = (CardState.ACTIVE, CardState.LOST)


async def _blocker(wallet: Wallet, permitted: bool, conn: Any = None) -> WalletError | None:
    """Why the wallet cannot be closed now (None when it can)."""
    if wallet.overdraft_owed > 0:
        return WalletError.REFUND_OVERDRAFT_OWED
    if await TopUpOrder.filter(person_id=wallet.person_id, status=TopUpStatus.PENDING).using_db(conn).exists():
        return WalletError.CLOSE_PENDING_TOPUP
    if wallet.cash_balance > 0 and not permitted:
        return WalletError.LEAVE_REFUND_NOT_PERMITTED
    return None


def _holds_money(wallet: Wallet | None) -> bool:
    return wallet is not None and wallet.closed_at is None and wallet.cash_balance + wallet.subsidy_balance > 0


async def preview(person_id: int, permitted: bool) -> LeavingPreview:
    """What leaving does to the person's wallet and cards, and the refund method to ask for when
    there is cash to pay back."""
    wallet = await Wallet.get_or_none(person_id=person_id)
    cards = await Card.filter(person_id=person_id, state__in=_LIVE).count()
    lines, fields, blocker = [], [], None
    if wallet is not None and _holds_money(wallet):
        if wallet.cash_balance:
            lines.append(f"现金余额 ¥{format_yuan(wallet.cash_balance)} 退还本人，一卡通账户销户")
            fields = REFUND_FIELDS
        if wallet.subsidy_balance:
            lines.append(f"餐补余额 ¥{format_yuan(wallet.subsidy_balance)} 不予退还，收回单位餐补经费")
        blocker = await _blocker(wallet, permitted)
    if cards:
        lines.append(f"名下 {cards} 张卡片注销")
    return LeavingPreview(
        TITLE, lines or ["一卡通没有余额，也没有在用的卡片"], fields, blocker.message if blocker else ""
    )


def _payout(departure: Departure, cash: int) -> cash_refund.Payout:
    """The refund method and reference the leave form was given, refused at their fields. With
    no cash nothing is paid out: the closing's voucher records none, in cash."""
    if not cash:
        return cash_refund.Payout(RefundMethod.CASH, "", departure.reason)
    reference = departure.answers.get(REFERENCE_FIELD, "").strip()
    try:
        method = RefundMethod(departure.answers.get(METHOD_FIELD, ""))
    except ValueError:
        raise WalletError.REFUND_AMOUNT_INVALID.error(
            details={"fields": [{"field": METHOD_FIELD, "message": "一卡通有现金余额须退还，请选择退款方式"}]}
        ) from None
    if len(reference) > 64:
        raise WalletError.REFUND_REFERENCE_REQUIRED.error(
            details={"fields": [{"field": REFERENCE_FIELD, "message": "凭证号最多 64 个字符"}]}
        )
    if method is RefundMethod.BANK_TRANSFER and not reference:
        raise WalletError.REFUND_REFERENCE_REQUIRED.error(
            details={"fields": [{"field": REFERENCE_FIELD, "message": WalletError.REFUND_REFERENCE_REQUIRED.message}]}
        )
    return cash_refund.Payout(method, reference, departure.reason)


async def leave(conn: Any, actor: Actor, departure: Departure) -> list[str]:
    """Close the wallet through 销户 when it holds money, otherwise cancel the cards; on `conn`,
    inside the leaving's transaction (which holds the person's lock and answers for the key)."""
    person_id = departure.person_id
    wallet = await Wallet.get_or_none(person_id=person_id).using_db(conn)
    locked = await wallets.lock_wallet(conn, wallet.id) if _holds_money(wallet) else None
    if locked is not None and _holds_money(locked):
        if blocker := await _blocker(locked, departure.permitted, conn):
            raise blocker.error()
        payout = _payout(departure, locked.cash_balance)
        closed = await cash_refund.close_locked(conn, locked, actor, person_id, payout, departure.key)
        done = [f"一卡通销户，退还现金 ¥{format_yuan(closed['amount_fen'])}"]
        if closed["subsidy_forfeited_fen"]:
            done.append(f"收回餐补 ¥{format_yuan(closed['subsidy_forfeited_fen'])}")
        return done
    card_ids = list(await Card.filter(person_id=person_id, state__in=_LIVE).using_db(conn).values_list("id", flat=True))
    if card_ids:
        await Card.filter(id__in=card_ids).using_db(conn).update(state=CardState.CANCELLED, state_changed_at=now())
        for card_id in card_ids:
            await record(conn, actor, "wallet.card_cancelled", "card", card_id, after={"state": "cancelled"})
    return [f"注销卡片 {len(card_ids)} 张"] if card_ids else []
