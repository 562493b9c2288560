"""Charging rows written straight to the tables, for the health and report tests: a session
stopped and billed as billing would leave it, a fault, an incident. The central system's own
code writes these in the real flow; here the figures are chosen so the reports can be checked
by hand."""

from __future__ import annotations

from datetime import datetime

from backend.charging.models import (
    Bill,
    Fault,
    Incident,
    IncidentKind,
    PayerKind,
    Pile,
    Session,
    SessionState,
    Tariff,
)


async def billed_session(
    pile: Pile,
    tariff: Tariff,
    stopped_at: datetime,
    bands: dict[str, int],
    amount_fen: int,
    payer: PayerKind = PayerKind.WALLET,
    paid_fen: int | None = None,
    id_tag: str = "04A1B2C3",
    person_id: int | None = None,
    unit_id: int | None = None,
    connector_id: int = 1,
    hours: float = 2,
) -> Session:
    """A session on `pile` that stopped at `stopped_at` having drawn the Wh in `bands`, and its
    bill of `amount_fen` (paid in full unless `paid_fen` says less; nothing for payer nobody)."""
    energy = sum(bands.values())
    started = datetime.fromtimestamp(stopped_at.timestamp() - hours * 3600, stopped_at.tzinfo)
    session = await Session.create(
        pile=pile,
        connector_id=connector_id,
        id_tag=id_tag,
        payer_kind=payer,
        person_id=person_id,
        unit_id=unit_id,
        tariff=tariff,
        state=SessionState.STOPPED,
        meter_start_wh=1000,
        meter_last_wh=1000 + energy,
        meter_stop_wh=1000 + energy,
        started_at=started,
        stopped_at=stopped_at,
        received_at=started,
        stop_reason="Local",
    )
    paid = 0 if payer is PayerKind.NOBODY else amount_fen if paid_fen is None else paid_fen
    await Bill.create(
        session=session,
        energy_wh=energy,
        bands=bands,
        energy_fen=amount_fen - amount_fen // 3,
        service_fen=amount_fen // 3,
        amount_fen=amount_fen,
        paid_fen=paid,
        shortfall_fen=0 if payer is PayerKind.NOBODY else amount_fen - paid,
        billed_at=stopped_at,
    )
    return session


async def active_session(
    pile: Pile, tariff: Tariff, started_at: datetime, id_tag: str, connector_id: int = 1
) -> Session:
    return await Session.create(
        pile=pile,
        connector_id=connector_id,
        id_tag=id_tag,
        payer_kind=PayerKind.WALLET,
        tariff=tariff,
        meter_start_wh=0,
        meter_last_wh=0,
        started_at=started_at,
        received_at=started_at,
    )


async def fault(
    pile: Pile,
    started_at: datetime,
    cleared_at: datetime | None = None,
    error_code: str = "GroundFailure",
    connector_id: int = 1,
) -> Fault:
    return await Fault.create(
        pile=pile,
        connector_id=connector_id,
        error_code=error_code,
        info="漏电保护动作",
        vendor_error_code="E07",
        started_at=started_at,
        cleared_at=cleared_at,
    )


async def incident(
    pile: Pile | None,
    at: datetime,
    kind: IncidentKind = IncidentKind.METER_STOP_INVALID,
    session: Session | None = None,
) -> Incident:
    detail = {"meter_start_wh": 5000, "meter_stop_wh": -1} if kind is IncidentKind.METER_STOP_INVALID else {}
    return await Incident.create(pile=pile, session=session, kind=kind, detail=detail, at=at)
