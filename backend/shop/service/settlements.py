"""Paying suppliers what their goods brought in (供货方结算): a transfer in the wallet's ledger
from the shop's revenue to what the supplier was paid out (`shop:supplier:<id>:settled`), with a
Settlement row naming the period, the bank or voucher reference and who recorded it.

A settlement never exceeds what is owed to the supplier (`reports.owed`). That sum is read under
the supplier's row lock, which every settlement of the supplier takes first, so two settlements
at once queue there and the second sees the first: they cannot both pass on the same money. One
idempotency key records one settlement: a retry (a double click, a lost answer) gets the first
back; the key sent again for another supplier, period or amount is refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.money import format_yuan
from backend.core.pagination import Page, paginate
from backend.core.timeutil import BUSINESS_TZ
from backend.shop.errors import ShopError
from backend.shop.models import Settlement, Supplier
from backend.shop.service import accounts, reports
from backend.wallet.service import ledger


def settlement_view(settlement: Settlement, supplier_name: str) -> dict:
    return {
        "id": settlement.id,
        "supplier_id": settlement.supplier_id,
        "supplier": supplier_name,
        "period_start": settlement.period_start.isoformat(),
        "period_end": settlement.period_end.isoformat(),
        "amount_fen": settlement.amount_fen,
        "reference": settlement.reference,
        "settled_by": settlement.settled_by,
        "settled_at": settlement.settled_at.isoformat(),
    }


def _check(period_start: date, period_end: date, amount_fen: int, at: datetime) -> None:
    if period_end < period_start:
        raise ShopError.SETTLEMENT_PERIOD_INVALID.error()
    if period_end > at.astimezone(BUSINESS_TZ).date():
        raise ShopError.SETTLEMENT_PERIOD_FUTURE.error()
    if amount_fen <= 0:
        raise ShopError.SETTLEMENT_AMOUNT_INVALID.error()


async def _lock_supplier(conn: Any, supplier_id: int) -> Supplier:
    """The supplier's row, locked for the transaction: the queue of its settlements. An inactive
    supplier is still paid what it is owed."""
    supplier = await Supplier.filter(id=supplier_id).using_db(conn).select_for_update().get_or_none()
    if supplier is None:
        raise ShopError.SUPPLIER_NOT_FOUND.error()
    return supplier


async def settle(
    actor: Actor,
    supplier_id: int,
    period_start: date,
    period_end: date,
    amount_fen: int,
    reference: str,
    idempotency_key: str,
    at: datetime,
) -> dict:
    """Pay `amount_fen` out of the shop's revenue to the supplier for the period, refused when it
    is more than what is owed to it through `period_end`. Answers the settlement with
    `replayed` (True when the key had already recorded it)."""
    _check(period_start, period_end, amount_fen, at)

    def same_request(done: Settlement) -> bool:
        return (done.supplier_id, done.period_start, done.period_end, done.amount_fen) == (
            supplier_id,
            period_start,
            period_end,
            amount_fen,
        )

    async def replayed(done: Settlement) -> dict:
        name = await Supplier.filter(id=done.supplier_id).first().values_list("name", flat=True)
        return {**settlement_view(done, name), "replayed": True}

    async def act(conn: Any, supplier: Supplier) -> dict:
        owed = await reports.owed(conn, supplier.id, period_end)
        if amount_fen > owed:
            raise ShopError.SETTLEMENT_OVER_OWED.error(
                name=supplier.name, day=period_end.isoformat(), owed=format_yuan(owed), amount=format_yuan(amount_fen)
            )
        transfer_id = await ledger.post(
            conn,
            ledger.TransferKind.SHOP_SETTLEMENT,
            [(accounts.REVENUE, -amount_fen), (accounts.supplier_settled(supplier.id), amount_fen)],
            at=at,
            reference=f"shop-settlement:{supplier.id}",
            memo=f"{supplier.name} {period_start.isoformat()}至{period_end.isoformat()} {reference}".strip(),
        )
        settlement = await Settlement.create(
            supplier_id=supplier.id,
            period_start=period_start,
            period_end=period_end,
            amount_fen=amount_fen,
            reference=reference,
            transfer_id=transfer_id,
            settled_by=actor.name[:100],
            settled_at=at,
            idempotency_key=idempotency_key,
            using_db=conn,
        )
        view = settlement_view(settlement, supplier.name)
        await record(
            conn,
            actor,
            "shop.settle_supplier",
            "settlement",
            settlement.id,
            {"owed_fen": owed},
            {**view, "owed_fen": owed - amount_fen},
        )
        return {**view, "replayed": False}

    return await idempotency.run_once(
        act,
        lock=lambda conn: _lock_supplier(conn, supplier_id),
        find=lambda conn: Settlement.get_or_none(idempotency_key=idempotency_key).using_db(conn),
        matches=same_request,
        refusal=ShopError.SETTLEMENT_KEY_USED.error,
        replay=replayed,
    )


async def list_settlements(page: int, page_size: int, supplier_id: int | None = None) -> Page:
    """Settlements, newest first, of one supplier or all."""
    query = Settlement.all().select_related("supplier")
    if supplier_id is not None:
        query = query.filter(supplier_id=supplier_id)
    return await paginate(
        query, page, page_size, order_by=("-settled_at", "-id"), view=lambda s: settlement_view(s, s.supplier.name)
    )


async def settlements_ending(first: date, last: date, supplier_id: int | None = None) -> list[dict]:
    """The settlements whose period ends from `first` through `last` (those the settlement
    report counts as settled in that range), newest first."""
    query = Settlement.filter(period_end__gte=first, period_end__lte=last).select_related("supplier")
    if supplier_id is not None:
        query = query.filter(supplier_id=supplier_id)
    return [settlement_view(s, s.supplier.name) for s in await query.order_by("-settled_at", "-id")]
