"""A session's one bill, and the money it moves. The bill is one row per session (unique), written
in the same transaction as the ledger transfer, so however often and wherever a stop is reported
a session is billed once:

- a cadre's wallet pays from its cash, never more than it holds (the wallet never goes below
  zero); what it could not cover is the bill's shortfall, owed until `pay_arrears`, and a cadre
  owing one cannot start again;
- an official car's unit pays the whole amount from its fleet cost account, and the car's fleet
  record gets the charging cost;
- a session of nobody (an unknown tag) is billed for the record, no money moved."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.functions import Sum
from tortoise.models import Model
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.charging.errors import ChargingError
from backend.charging.models import (
    Band,
    Bill,
    Incident,
    IncidentKind,
    MeterValue,
    PayerKind,
    Session,
    SessionState,
    Tariff,
)
from backend.charging.service import accounts, tariffs
from backend.charging.service.notices import SESSION_NOTICE
from backend.core import sql
from backend.core.money import format_yuan
from backend.core.timeutil import BUSINESS_TZ, now
from backend.fleet.service import upkeep
from backend.notices import service as notices
from backend.wallet.service import charge, ledger, wallets
from backend.wallet.service.ledger import TransferKind

log = logging.getLogger(__name__)


def db_values(model: type[Model], **values: Any) -> list[Any]:
    """`sql.db_values`, each time first turned into the zone the ORM keeps it in: on SQLite a
    time is text compared as text, so a pile's UTC time written by hand beside the ORM's
    business-time text would sort and compare wrongly."""
    return sql.db_values(
        model,
        **{name: sql.python_value(model, name, v) if isinstance(v, datetime) else v for name, v in values.items()},
    )


async def registers(conn: Any, session: Session, until: datetime | None = None) -> list[tuple[datetime, int]]:
    """The session's register samples for pricing: its start, then its stored samples from the
    start (up to `until`, when given), in time order. Read by hand: every MeterValues reads them."""
    statement = "SELECT at, energy_wh FROM charging_meter_value WHERE session_id = $1 AND at >= $2"
    params = db_values(MeterValue, session_id=session.id, at=session.started_at)
    if until is not None:
        statement += " AND at <= $3"
        params += db_values(MeterValue, at=until)
    found = await sql.rows(conn or connections.get("default"), statement + " ORDER BY at", *params)
    stored = [(sql.python_value(MeterValue, "at", r["at"]), r["energy_wh"]) for r in found]
    return [(session.started_at, session.meter_start_wh), *stored]


async def tariff_of(conn: Any, session: Session) -> Tariff | None:
    """The tariff pricing the session: its own, or for a session started before any tariff
    existed (Incident NO_TARIFF) the version in force now; None while there is none."""
    if session.tariff_id is not None:
        return await tariffs.version(session.tariff_id, conn)
    return await tariffs.in_force(now())


async def priced(conn: Any, session: Session, samples: list[tuple[datetime, int]]) -> tariffs.Priced:
    """`tariffs.price` of the samples by the session's tariff; with no tariff at all the energy
    priced at 0 (recorded as NO_TARIFF when the session started)."""
    tariff = await tariff_of(conn, session)
    if tariff is not None:
        return tariffs.price(tariff, samples)
    highest = max((wh for _, wh in samples), default=session.meter_start_wh)
    return tariffs.Priced(max(highest - session.meter_start_wh, 0), {}, 0, 0, 0)


async def final_price(conn: Any, session: Session) -> tariffs.Priced:
    """The bill's price: the samples between start and stop (none above the stop reading, which
    is the last word), then the stop itself."""
    stopped_at = max(session.stopped_at or session.started_at, session.started_at)
    stop = session.meter_stop_wh if session.meter_stop_wh is not None else session.meter_last_wh
    samples = [(at, wh) for at, wh in await registers(conn, session, stopped_at) if wh <= stop]
    return await priced(conn, session, [*samples, (stopped_at, stop)])


class _AlreadyBilled(Exception):
    """Another caller billed the session first (found under the wallet's lock)."""


class _NothingPayable(Exception):
    """The wallet holds no cash: the bill is all shortfall, no transfer."""


def _bill_values(session: Session, priced: tariffs.Priced, at: datetime, paid: int, shortfall: int) -> dict:
    return {
        "session_id": session.id,
        "energy_wh": priced.energy_wh,
        "bands": priced.bands,
        "energy_fen": priced.energy_fen,
        "service_fen": priced.service_fen,
        "amount_fen": priced.amount_fen,
        "paid_fen": paid,
        "shortfall_fen": shortfall,
        "billed_at": at,
    }


async def _after_billing(conn: Any, session: Session, amount: int, shortfall: int, at: datetime) -> None:
    """What a bill tells staff (a shortfall, a session nobody pays for) and the cadre."""
    if shortfall:
        await Incident.create(
            kind=IncidentKind.SHORTFALL,
            pile_id=session.pile_id,
            session_id=session.id,
            detail={"amount_fen": amount, "shortfall_fen": shortfall},
            at=at,
            using_db=conn,
        )
    if session.payer_kind == PayerKind.NOBODY and amount:
        await Incident.create(
            kind=IncidentKind.SESSION_WITHOUT_PAYER,
            pile_id=session.pile_id,
            session_id=session.id,
            detail={"amount_fen": amount, "id_tag": session.id_tag},
            at=at,
            using_db=conn,
        )
    if session.person_id is not None:
        await notices.queue(conn, SESSION_NOTICE, session.person_id, session.id, at)


async def _bill_wallet(session: Session, priced: tariffs.Priced, at: datetime) -> None:
    """Take what the cash covers, in the wallet's one charge with the bill row."""
    payer = await people.person_summary(session.person_id)
    amount = priced.amount_fen

    async def terms(conn: Any, wallet: charge.LockedWallet) -> charge.ChargeTerms:
        if await Bill.filter(session_id=session.id).using_db(conn).exists():
            raise _AlreadyBilled()
        paid = min(amount, max(wallet.cash_balance, 0))
        if paid == 0:
            raise _NothingPayable()
        await _after_billing(conn, session, amount, amount - paid, at)
        return charge.ChargeTerms(paid, subsidy_cap_fen=0)

    def row(charged: charge.Charged) -> charge.ExtraInsert:
        paid = charged.terms.amount_fen
        values = _bill_values(session, priced, at, paid, amount - paid)
        stored = dict(zip(values, db_values(Bill, **values), strict=True))
        return charge.ExtraInsert("charging_bill", {**stored, "transfer_id": charge.TRANSFER_ID})

    try:
        await charge.charge(
            payer,
            at=at,
            terms=terms,
            revenue_account=accounts.REVENUE,
            reference=f"charging:{session.id}",
            memo="充电消费",
            extra=row,
            kind=TransferKind.CHARGING_PAYMENT,
        )
    except _AlreadyBilled:
        return
    except IntegrityError:
        # Billed at the same moment by another caller (the bill is one per session); any other
        # integrity failure is an error, not a bill.
        if not await Bill.filter(session_id=session.id).exists():
            raise
    except (_NothingPayable, charge.ChargeRefused):
        await _bill_without_payment(session, priced, at, paid=0, shortfall=amount)


async def _bill_without_payment(
    session: Session, priced: tariffs.Priced, at: datetime, *, paid: int, shortfall: int
) -> None:
    """The bill of a unit (its fleet cost pays the whole amount), of nobody, of nothing to pay
    or of an empty wallet: one transaction, under the session's lock."""
    amount = priced.amount_fen
    async with in_transaction() as conn:
        await Session.filter(id=session.id).using_db(conn).select_for_update().first()
        if await Bill.filter(session_id=session.id).using_db(conn).exists():
            return
        bill = await Bill.create(**_bill_values(session, priced, at, paid, shortfall), using_db=conn)
        if session.payer_kind == PayerKind.FLEET and session.unit_id is not None:
            if amount:
                transfer_id = await ledger.post(
                    conn,
                    TransferKind.CHARGING_FLEET,
                    [(accounts.fleet_cost(session.unit_id), -amount), (accounts.REVENUE, amount)],
                    at=at,
                    reference=f"charging:{session.id}",
                    memo="公务车充电",
                )
                await Bill.filter(id=bill.id).using_db(conn).update(transfer_id=transfer_id)
            if session.vehicle_id is not None and amount:
                day = (session.stopped_at or at).astimezone(BUSINESS_TZ).date()
                note = f"充电桩充电 {priced.energy_wh / 1000:.3f} kWh（充电记录 {session.id}）"
                await upkeep.record_charging(conn, session.vehicle_id, day, amount, note)
        await _after_billing(conn, session, amount, shortfall, at)


async def bill(session_id: int, at: datetime) -> Bill:
    """The session's bill, made the first time (a stopped session only)."""
    if (existing := await Bill.get_or_none(session_id=session_id)) is not None:
        return existing
    session = await Session.get_or_none(id=session_id)
    if session is None:
        raise ChargingError.SESSION_NOT_FOUND.error()
    if session.state != SessionState.STOPPED:
        raise ChargingError.SESSION_STILL_ACTIVE.error()
    await bill_stopped_now(session, at)
    return await Bill.get(session_id=session_id)


async def bill_stopped_now(session: Session, at: datetime) -> None:
    """Bill the session its stop has just ended (`session` as the stop wrote it): `bill` without
    reading again what the stop holds. Billed elsewhere first (the job), nothing more happens."""
    # The wallet's ledger writes its voucher time by hand too: hand it the ORM's own zone.
    at = sql.python_value(Bill, "billed_at", at)
    priced = await final_price(None, session)
    if session.payer_kind == PayerKind.WALLET and session.person_id is not None and priced.amount_fen:
        await _bill_wallet(session, priced, at)
    elif session.payer_kind == PayerKind.FLEET:
        await _bill_without_payment(session, priced, at, paid=priced.amount_fen, shortfall=0)
    else:
        await _bill_without_payment(session, priced, at, paid=0, shortfall=0)


async def bill_stopped(at: datetime) -> int:
    """Bill the stopped sessions left without a bill (the database failed after a stop); how
    many were billed. A failure is logged and left for the next run."""
    billed = Bill.all().values_list("session_id", flat=True)
    waiting = (
        await Session.filter(state=SessionState.STOPPED).exclude(id__in=Subquery(billed)).values_list("id", flat=True)
    )
    done = 0
    for session_id in waiting:
        try:
            await bill(session_id, at)
            done += 1
        except Exception:
            log.exception("charging bill failed", extra={"session_id": session_id})
    return done


def _unpaid(person_id: int):
    sessions = Session.filter(person_id=person_id, payer_kind=PayerKind.WALLET).values_list("id", flat=True)
    return Bill.filter(session_id__in=Subquery(sessions), shortfall_fen__gt=0, shortfall_paid_at=None)


async def arrears_of(person_id: int) -> int:
    """What the cadre still owes for sessions their cash did not cover."""
    total = await _unpaid(person_id).annotate(total=Sum("shortfall_fen")).first().values_list("total", flat=True)
    return int(total or 0)


async def pay_arrears(person_id: int, at: datetime) -> dict:
    """Pay every unpaid shortfall of the cadre from their cash at once, in one transfer to the
    charging revenue; ARREARS_NONE when nothing is owed, BALANCE_TOO_LOW when the cash falls short."""
    wallet = await wallets.ensure_wallet(person_id)
    async with in_transaction() as conn:
        locked = await wallets.lock_wallet(conn, wallet.id)
        owed = await _unpaid(person_id).using_db(conn).select_for_update().order_by("id")
        if not owed:
            raise ChargingError.ARREARS_NONE.error()
        total = sum(b.shortfall_fen for b in owed)
        if locked.cash_balance < total or not await wallets.debit(conn, wallet.id, cash=total):
            raise ChargingError.BALANCE_TOO_LOW.error(minimum=f"{format_yuan(total)} 元")
        transfer_id = await ledger.post(
            conn,
            TransferKind.CHARGING_ARREARS,
            [(ledger.wallet_cash(wallet.id), -total), (accounts.REVENUE, total)],
            at=at,
            reference=f"charging:arrears:{owed[0].id}",
            memo="充电欠费补缴",
        )
        await (
            Bill.filter(id__in=[b.id for b in owed])
            .using_db(conn)
            .update(shortfall_paid_at=at, shortfall_transfer_id=transfer_id)
        )
    return {"paid_fen": total, "bill_ids": [b.id for b in owed], "transfer_id": transfer_id}


def bill_view(bill: Bill, session: Session) -> dict:
    return {
        "id": bill.id,
        "session_id": session.id,
        "energy_wh": bill.energy_wh,
        "kwh": f"{bill.energy_wh / 1000:.3f}",
        "bands": [
            {"band": band.value, "label": band.label, "energy_wh": bill.bands[band.value]}
            for band in Band
            if bill.bands.get(band.value)
        ],
        "energy_fen": bill.energy_fen,
        "service_fen": bill.service_fen,
        "amount_fen": bill.amount_fen,
        "paid_fen": bill.paid_fen,
        "shortfall_fen": bill.shortfall_fen,
        "shortfall_paid": bill.shortfall_paid_at is not None,
        "payer_kind": session.payer_kind.value,
        "payer_label": session.payer_kind.label,
        "billed_at": bill.billed_at.isoformat(),
    }
