"""Wallets and cards: balances, conditional debits and credits, card life cycle, adjustments.

Money moves only here and only together with a ledger transfer in the caller's transaction;
a debit is one conditional UPDATE whose row count is checked, never read-check-write.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.accounts.service.people import StaffCategory
from backend.core import idempotency, sql
from backend.core.audit import Actor, record
from backend.core.timeutil import now
from backend.wallet.errors import WalletError
from backend.wallet.models import Card, CardState, LedgerEntry, Transfer, TransferKind, Wallet
from backend.wallet.service import ledger

# Ids per query, well within PostgreSQL's 32,767 parameters.
_ID_BATCH = 1000
_HEX = re.compile(r"^[0-9A-F]{8,32}$")


def normalize_uid(raw: str, *, reverse_bytes: bool = False) -> str:
    """Card UIDs as upper-case hex without separators; some readers send them byte-reversed."""
    uid = re.sub(r"[\s:-]", "", raw or "").upper()
    if not _HEX.match(uid) or len(uid) % 2:
        raise WalletError.CARD_UID_INVALID.error()
    if reverse_bytes:
        uid = "".join(reversed([uid[i : i + 2] for i in range(0, len(uid), 2)]))
    return uid


def mask_uid(uid: str | None) -> str:
    """A card UID (or any idTag) as people may see it: its first four and last two characters
    (04A1****C3). A UID-only card is cloned from its UID, so pages, exports and answers never
    show one whole; a short one is all stars."""
    if not uid:
        return ""
    if len(uid) <= 6:
        return "*" * len(uid)
    return f"{uid[:4]}****{uid[-2:]}"


async def ensure_wallet(person_id: int) -> Wallet:
    """The person's wallet, created on first use; safe when two requests race to create it."""
    wallet = await Wallet.get_or_none(person_id=person_id)
    if wallet is not None:
        return wallet
    if not await people.person_exists(person_id):
        raise WalletError.PERSON_NOT_FOUND.error()
    try:
        return await Wallet.create(person_id=person_id)
    except IntegrityError:
        return await Wallet.get(person_id=person_id)


async def lock_wallet(conn: Any, wallet_id: int) -> Wallet:
    """Lock the wallet row for the rest of the transaction: payments of one person queue here,
    so per-meal limits and subsidy-once-per-meal are counted without races."""
    return await Wallet.filter(id=wallet_id).using_db(conn).select_for_update().get()


def debit_statement(cash: str, subsidy: str, wallet_id: str, cash_again: str, subsidy_again: str) -> str:
    """The one conditional debit (a balance never goes below zero by a race), with the given
    placeholders: `debit` runs it alone, `charge` inside its one-statement CTE."""
    return (
        f"UPDATE wallet_wallet SET cash_balance = cash_balance - {cash}, "
        f"subsidy_balance = subsidy_balance - {subsidy} "
        f"WHERE id = {wallet_id} AND cash_balance >= {cash_again} AND subsidy_balance >= {subsidy_again}"
    )


async def debit(conn: Any, wallet_id: int, *, cash: int = 0, subsidy: int = 0) -> bool:
    """Take money out only if it is there; False (nothing changed) otherwise."""
    changed = await sql.execute(
        conn, debit_statement("$1", "$2", "$3", "$4", "$5"), cash, subsidy, wallet_id, cash, subsidy
    )
    return changed == 1


async def credit(conn: Any, wallet_id: int, *, cash: int = 0, subsidy: int = 0) -> None:
    await (
        Wallet.filter(id=wallet_id)
        .using_db(conn)
        .update(cash_balance=F("cash_balance") + cash, subsidy_balance=F("subsidy_balance") + subsidy)
    )


def balances(wallet: Wallet) -> dict:
    return {
        "cash_fen": wallet.cash_balance,
        "subsidy_fen": wallet.subsidy_balance,
        "total_fen": wallet.cash_balance + wallet.subsidy_balance,
        "overdraft_owed_fen": wallet.overdraft_owed,
    }


async def wallet_view(person_id: int) -> dict:
    wallet = await ensure_wallet(person_id)
    return {**balances(wallet), "closed_at": wallet.closed_at.isoformat() if wallet.closed_at else None}


async def describe_wallets(ids: list[int]) -> dict[int, str]:
    """{id: "张伟（D0001）"}: whose wallet it is, as the audit log names it."""
    owners = dict(await Wallet.filter(id__in=ids).values_list("id", "person_id"))
    holders = {p.id: p for p in await people.people_summaries(set(owners.values()))}
    return {i: f"{holders[p].name}（{holders[p].employee_no}）" for i, p in owners.items() if p in holders}


def card_view(card: Card) -> dict:
    return {
        "id": card.id,
        "uid": card.uid,
        "state": card.state.value,
        "state_label": card.state.label,
        "issued_at": card.issued_at.isoformat(),
    }


async def list_cards(person_id: int) -> list[dict]:
    return [card_view(c) for c in await Card.filter(person_id=person_id).order_by("-id")]


async def _lock_serving(conn: Any, person_id: int, left: WalletError) -> None:
    """Lock the person's row (leaving takes it, so nothing races a departure's settling) and
    refuse with `left` one who has left."""
    holder = await people.lock_person(conn, person_id)
    if holder is None:
        raise WalletError.PERSON_NOT_FOUND.error()
    if not holder.is_active:
        raise left.error()


async def issue_card(
    actor: Actor, person_id: int, raw_uid: str, *, replace: bool = False, idempotency_key: str | None = None
) -> dict:
    """Bind a card to a person (发卡). With `replace`, the person's active or lost cards are
    cancelled (补卡): the wallet stays, only the card changes. A new card reopens a closed wallet
    (销户后重新发卡). With an `idempotency_key` (per admin), a retry gets the first card back."""
    return await _bind_card(actor, person_id, raw_uid, idempotency_key, replace_all=replace)


async def replace_card(actor: Actor, person_id: int, card_id: int, raw_uid: str, idempotency_key: str) -> dict:
    """补卡 of the named card: it is cancelled (from active or lost) and the new card is bound to
    the same person, in one transaction under the person's lock. The balance is the wallet's,
    not the card's, so nothing is moved: the new card spends what the old one did, exactly once.
    Of two desks replacing the same card at once, the second finds it cancelled and is refused;
    a retry with the same key (per admin) gets the first answer."""
    return await _bind_card(actor, person_id, raw_uid, idempotency_key, replacing=card_id)


async def _bind_card(
    actor: Actor,
    person_id: int,
    raw_uid: str,
    idempotency_key: str | None,
    *,
    replace_all: bool = False,
    replacing: int | None = None,
) -> dict:
    """The new card under the person's lock, cancelling what it replaces: the card `replacing`
    names (audited as a replacement), or with `replace_all` every live card."""
    uid = normalize_uid(raw_uid)
    key = f"card:{actor.admin_id or 'cli'}:{idempotency_key}" if idempotency_key else None

    async def lock(conn: Any) -> None:
        await _lock_serving(conn, person_id, WalletError.PERSON_LEFT)

    async def bind(conn: Any, _locked: None) -> dict:
        taken = await Card.filter(uid=uid).using_db(conn).first()
        if taken is not None:
            if taken.person_id != person_id:
                raise WalletError.CARD_UID_TAKEN.error()
            raise WalletError.CARD_UID_HELD.error(state=taken.state.label)
        replaced = await _cancel_replaced(conn, person_id, replace_all, replacing)
        card = await Card.create(
            uid=uid, person_id=person_id, state_changed_at=now(), idempotency_key=key, using_db=conn
        )
        await Wallet.filter(person_id=person_id, closed_at__isnull=False).using_db(conn).update(closed_at=None)
        if replacing is not None:
            wallet = balances(await Wallet.get(person_id=person_id).using_db(conn))
            await record(
                conn,
                actor,
                "wallet.replace_card",
                "card",
                card.id,
                before={"card": replaced[0], **wallet},
                after={"card": card_view(card), "cancelled_card_id": replacing, **wallet},
            )
        else:
            await record(
                conn, actor, "wallet.issue_card", "card", card.id, after={**card_view(card), "replace": replace_all}
            )
        return {**card_view(card), "replaced_card_ids": [c["id"] for c in replaced], "replayed": False}

    async def issued(card: Card) -> dict:
        return {**card_view(card), "replayed": True}

    if key is None:
        async with in_transaction() as conn:
            await lock(conn)
            answer = await bind(conn, None)
    else:
        answer = await idempotency.run_once(
            bind,
            lock=lock,
            find=lambda conn: Card.get_or_none(idempotency_key=key).using_db(conn),
            matches=lambda card: card.person_id == person_id and card.uid == uid,
            refusal=WalletError.KEY_USED_ELSEWHERE.error,
            replay=issued,
        )
    await ensure_wallet(person_id)
    return answer


async def _cancel_replaced(conn: Any, person_id: int, replace_all: bool, replacing: int | None) -> list[dict]:
    """Cancel what a new card replaces, the caller holding the person's lock, and give those
    cards as they were; with nothing to replace, a person who still has an active card is
    refused (补卡 is the way to a new one)."""
    live = Card.filter(person_id=person_id, state__in=[CardState.ACTIVE, CardState.LOST]).using_db(conn)
    if not replace_all and replacing is None:
        if await live.filter(state=CardState.ACTIVE).exists():
            raise WalletError.PERSON_HAS_ACTIVE_CARD.error()
        return []
    if replacing is not None:
        old = await Card.get_or_none(id=replacing, person_id=person_id).using_db(conn)
        if old is None:
            raise WalletError.CARD_NOT_FOUND.error()
        if old.state == CardState.CANCELLED:
            raise WalletError.CARD_STATE_CONFLICT.error(state=old.state.label, action="补卡")
        live = live.filter(id=old.id)
    cards = [card_view(card) for card in await live]
    await live.update(state=CardState.CANCELLED, state_changed_at=now())
    return cards


_CARD_TRANSITIONS = {  # to: (from, audit action, what it is called)
    CardState.LOST: ([CardState.ACTIVE], "wallet.card_lost", "挂失"),
    CardState.ACTIVE: ([CardState.LOST], "wallet.card_active", "解挂"),
    CardState.CANCELLED: ([CardState.ACTIVE, CardState.LOST], "wallet.card_cancelled", "注销"),
}


async def change_card_state(
    person_id: int, card_id: int, to: CardState, actor: Actor | None = None, *, repeat_ok: bool = False
) -> dict:
    """挂失 (active → lost), 解挂 (lost → active) by the cardholder or at the desk; 注销
    (→ cancelled) by an admin. A card already in the state asked for is refused, unless
    `repeat_ok` (a desk form sent twice): then nothing changes and `changed` says so."""
    allowed_from, action, name = _CARD_TRANSITIONS[to]
    async with in_transaction() as conn:
        # Locked, so that the audit's "before" is the state this change replaced.
        held = await Card.filter(id=card_id, person_id=person_id).using_db(conn).select_for_update().first()
        if held is None:
            raise WalletError.CARD_NOT_FOUND.error()
        changed = held.state in allowed_from
        if changed:
            await Card.filter(id=card_id).using_db(conn).update(state=to, state_changed_at=now())
            if actor is not None:
                before = {"uid": held.uid, "state": held.state.value}
                await record(conn, actor, action, "card", card_id, before, {**before, "state": to.value})
        elif not (repeat_ok and held.state == to):
            raise WalletError.CARD_STATE_CONFLICT.error(state=held.state.label, action=name)
    return {**card_view(await Card.get(id=card_id)), "changed": changed}


async def blacklist() -> tuple[int, list[str]]:
    """Lost and cancelled card UIDs for offline terminals, with a version that grows on change."""
    cards = await Card.filter(state__in=[CardState.LOST, CardState.CANCELLED]).values_list("uid", "state_changed_at")
    latest = (
        await Card.filter(state_changed_at__isnull=False)
        .order_by("-state_changed_at")
        .first()
        .values_list("state_changed_at", flat=True)
    )
    version = int(latest.timestamp() * 1000) if latest else 0
    return version, sorted(uid for uid, _ in cards)


async def active_cards_of(staff_categories: list[StaffCategory]) -> list[tuple[str, StaffCategory]]:
    """The UIDs of active cards whose holder is in one of `staff_categories`, with that category."""
    holders = await people.people_in_categories(staff_categories)
    ids = sorted(holders)
    found: list[tuple[str, StaffCategory]] = []
    for start in range(0, len(ids), _ID_BATCH):
        cards = Card.filter(state=CardState.ACTIVE, person_id__in=ids[start : start + _ID_BATCH])
        found += [(uid, holders[person_id]) for uid, person_id in await cards.values_list("uid", "person_id")]
    return found


async def usable_card_uids() -> list[str]:
    """The UIDs of active cards whose holder is still on the roster (what a gate terminal lets in
    offline), sorted."""
    cards = await Card.filter(state=CardState.ACTIVE).values_list("uid", "person_id")
    active = {p.id for p in await people.people_summaries({person_id for _, person_id in cards}) if p.is_active}
    return sorted(uid for uid, person_id in cards if person_id in active)


async def adjust(
    actor: Actor, person_id: int, cash_delta: int, reason: str, idempotency_key: str, *, at: datetime | None = None
) -> dict:
    """Manual adjustment of a cash balance (人工调账), with a reason, audited, never below zero.
    The same idempotency key (per admin) adjusts once: a double click or a retry changes nothing;
    a key reused for another person or amount is refused, never answered as done. `at` dates the
    ledger line (only the demo's past week sets it; everyone else adjusts now)."""
    if cash_delta == 0:
        raise WalletError.ADJUSTMENT_INVALID.error()
    key = f"adjust:{actor.admin_id or 'cli'}:{idempotency_key}"
    wallet = await ensure_wallet(person_id)

    async def lock(conn: Any) -> Wallet:
        # The person first, as leaving (which settles the wallet) takes them: an adjustment never
        # lands on a wallet settled by a departure it raced.
        await _lock_serving(conn, person_id, WalletError.PERSON_LEFT_SETTLED)
        return await lock_wallet(conn, wallet.id)

    async def adjusted(conn: Any, locked: Wallet) -> dict:
        before = balances(locked)
        if cash_delta < 0:
            if not await debit(conn, wallet.id, cash=-cash_delta):
                raise WalletError.ADJUSTMENT_INVALID.error()
        else:
            await credit(conn, wallet.id, cash=cash_delta)
        transfer = await ledger.post(
            conn,
            TransferKind.ADJUSTMENT,
            [(ledger.wallet_cash(wallet.id), cash_delta), (ledger.MANUAL_ADJUSTMENT, -cash_delta)],
            at=at or now(),
            reference=f"admin:{actor.admin_id}",
            memo=reason,
            idempotency_key=key,
        )
        after = balances(await Wallet.get(id=wallet.id).using_db(conn))
        await record(
            conn,
            actor,
            "wallet.adjust",
            "wallet",
            wallet.id,
            before,
            {**after, "reason": reason, "transfer_id": transfer},
        )
        return {**after, "replayed": False}

    async def same_adjustment(transfer_id: int) -> bool:
        return await LedgerEntry.exists(
            transfer_id=transfer_id, account=ledger.wallet_cash(wallet.id), amount=cash_delta
        )

    async def replayed(_transfer_id: int) -> dict:
        return {**balances(await Wallet.get(id=wallet.id)), "replayed": True}

    return await idempotency.run_once(
        adjusted,
        lock=lock,
        find=lambda conn: Transfer.filter(idempotency_key=key).using_db(conn).first().values_list("id", flat=True),
        matches=same_adjustment,
        refusal=WalletError.KEY_USED_ELSEWHERE.error,
        replay=replayed,
    )


async def history(person_id: int, page: int, page_size: int) -> dict:
    """The wallet's movements, newest first: one line per transfer, with its cash and subsidy legs."""
    wallet = await ensure_wallet(person_id)
    accounts = [ledger.wallet_cash(wallet.id), ledger.wallet_subsidy(wallet.id)]
    entries = LedgerEntry.filter(account__in=accounts)
    total = await entries.distinct().values_list("transfer_id", flat=True)
    transfer_ids = sorted(set(total), reverse=True)
    page_ids = transfer_ids[(page - 1) * page_size : page * page_size]
    rows = await LedgerEntry.filter(Q(transfer_id__in=page_ids) & Q(account__in=accounts)).select_related("transfer")
    lines: dict[int, dict] = {}
    for entry in rows:
        line = lines.setdefault(
            entry.transfer_id,
            {
                "transfer_id": entry.transfer_id,
                "kind": entry.transfer.kind.value,
                "at": entry.transfer.at.isoformat(),
                "memo": entry.transfer.memo,
                "cash_fen": 0,
                "subsidy_fen": 0,
            },
        )
        line["cash_fen" if entry.account.endswith(":cash") else "subsidy_fen"] += entry.amount
    return {
        "items": [lines[i] for i in page_ids if i in lines],
        "total": len(transfer_ids),
        "page": page,
        "page_size": page_size,
    }


async def advance_overdraft(conn: Any, wallet_id: int, amount: int, *, at: datetime, reference: str) -> None:
    """The offline-overdraft account fronts `amount` to the wallet's cash; the person owes it.
    The caller holds the wallet lock."""
    await ledger.post(
        conn,
        TransferKind.OVERDRAFT_ADVANCE,
        [(ledger.OFFLINE_OVERDRAFT, -amount), (ledger.wallet_cash(wallet_id), amount)],
        at=at,
        reference=reference,
        memo="脱机消费透支垫付",
    )
    await Wallet.filter(id=wallet_id).using_db(conn).update(overdraft_owed=F("overdraft_owed") + amount)
    await credit(conn, wallet_id, cash=amount)


async def repay_overdraft(conn: Any, wallet_id: int, at_most: int, *, reference: str, memo: str) -> int:
    """Pay back what the offline-overdraft account advanced, up to `at_most` and what the cash
    allows; returns the amount repaid. The caller holds the wallet lock."""
    wallet = await Wallet.get(id=wallet_id).using_db(conn)
    repay = min(at_most, wallet.overdraft_owed, wallet.cash_balance)
    if repay <= 0:
        return 0
    if not await debit(conn, wallet_id, cash=repay):
        raise RuntimeError("locked wallet could not be debited")
    await Wallet.filter(id=wallet_id).using_db(conn).update(overdraft_owed=F("overdraft_owed") - repay)
    await ledger.post(
        conn,
        TransferKind.OVERDRAFT_REPAYMENT,
        [(ledger.wallet_cash(wallet_id), -repay), (ledger.OFFLINE_OVERDRAFT, repay)],
        at=now(),
        reference=reference,
        memo=memo,
    )
    return repay
