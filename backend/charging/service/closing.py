"""Sessions whose pile never reports their stop (a pile replaced, reset to factory settings, or
that lost its queue): the job that notices them, and the staff action "结束并结算" that ends one.

Such a session blocks its card (ConcurrentTx), the cadre's next start and a share of the site's
power, and is never billed. Staff end it at its last good register reading, exactly as if the
pile had reported the stop with reason `staff`: through `sessions.stop_transaction`, so the bill
is made by the one billing path, once, and a stop the pile sends later changes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from backend.charging.errors import ChargingError
from backend.charging.models import Incident, IncidentKind, MeterValue, Pile, Session, SessionState
from backend.charging.service import billing, sessions
from backend.charging.service.piles import PileRef
from backend.core.audit import Actor, record

# The stop reason kept on a session staff ended (OCPP's own reasons are CamelCase words, so this
# one is never the pile's).
STAFF_REASON = "staff"
REASON_MAX = 200
# A session with no word from its pile (no meter sample, nor its start) for this long is
# recorded as stale. Piles sample every few minutes while charging; six hours of silence is past
# any queue a pile replays after a network cut, yet short of a whole working day lost.
STALE_HOURS = 6


async def _last_good(session: Session) -> tuple[datetime, int]:
    """When and at which reading to end the session: its last stored sample's time (its start
    when it has none) and its last good register (`meter_last_wh`, which leaves out readings that
    ran backwards), never below its start."""
    samples = await billing.registers(None, session)
    return samples[-1][0], max(session.meter_last_wh, session.meter_start_wh)


async def close_session(actor: Actor, redis: Any, session_id: int, reason: str, at: datetime) -> dict:
    """End an ACTIVE session the pile never stopped, at its last good register, and bill it; an
    incident CLOSED_BY_STAFF and the audit entry `charging.close_session` keep who, why and the
    reading used. The session's open STALE_SESSION incidents are resolved with it. Refused for
    a session already ended (by the pile, or a colleague at the same moment)."""
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= REASON_MAX:
        raise ChargingError.CLOSE_REASON_INVALID.error(max=REASON_MAX)
    session = await Session.get_or_none(id=session_id)
    if session is None:
        raise ChargingError.SESSION_NOT_FOUND.error()
    if session.state != SessionState.ACTIVE:
        raise ChargingError.SESSION_NOT_ACTIVE.error()
    stopped_at, reading = await _last_good(session)
    pile = await Pile.get(id=session.pile_id)
    ref = PileRef(pile.id, pile.box_id, pile.site_id, pile.name, pile.connectors, pile.max_power_w)
    await sessions.stop_transaction(redis, ref, session.id, reading, stopped_at, STAFF_REASON, None, [], at)
    ended = await Session.get(id=session.id)
    if ended.stop_reason != STAFF_REASON:
        # The pile's own stop came first: it is the one that counts, and was billed by it.
        raise ChargingError.SESSION_NOT_ACTIVE.error()
    async with in_transaction() as conn:
        await Incident.create(
            kind=IncidentKind.CLOSED_BY_STAFF,
            pile_id=session.pile_id,
            session_id=session.id,
            detail={"reason": reason, "stopped_at": stopped_at.isoformat(), "used_wh": ended.meter_stop_wh},
            at=at,
            using_db=conn,
        )
        await (
            Incident.filter(session_id=session.id, kind=IncidentKind.STALE_SESSION, resolved_at__isnull=True)
            .using_db(conn)
            .update(resolved_at=at, resolved_by_id=actor.admin_id, resolution_note=f"已结束并结算：{reason}"[:200])
        )
        await record(
            conn,
            actor,
            "charging.close_session",
            "session",
            session.id,
            {"state": SessionState.ACTIVE.value},
            {"state": SessionState.STOPPED.value, "reason": reason, "meter_stop_wh": ended.meter_stop_wh},
        )
    return {"session_id": session.id, "stopped_at": stopped_at, "meter_stop_wh": ended.meter_stop_wh}


async def record_stale(at: datetime, hours: int = STALE_HOURS) -> int:
    """Record a STALE_SESSION incident, once per session, for each ACTIVE session its pile has
    said nothing about (no meter sample received, nor the start) for `hours`; how many."""
    cutoff = at - timedelta(hours=hours)
    flagged = Incident.filter(kind=IncidentKind.STALE_SESSION).values_list("session_id", flat=True)
    heard = MeterValue.filter(received_at__gte=cutoff).values_list("session_id", flat=True)
    quiet = (
        await Session.filter(state=SessionState.ACTIVE, received_at__lt=cutoff)
        .exclude(id__in=Subquery(flagged))
        .exclude(id__in=Subquery(heard))
        .values_list("id", flat=True)
    )
    recorded = 0
    for session_id in quiet:
        async with in_transaction() as conn:
            # Two runs at once: the second waits here and then finds the first one's incident.
            session = await Session.filter(id=session_id).using_db(conn).select_for_update().first()
            if session is None or session.state != SessionState.ACTIVE:
                continue
            if await Incident.filter(kind=IncidentKind.STALE_SESSION, session_id=session_id).using_db(conn).exists():
                continue
            last = await MeterValue.filter(session_id=session_id).using_db(conn).order_by("-received_at").first()
            await Incident.create(
                kind=IncidentKind.STALE_SESSION,
                pile_id=session.pile_id,
                session_id=session_id,
                detail={"received_at": (last.received_at if last else session.received_at).isoformat()},
                at=at,
                using_db=conn,
            )
            recorded += 1
    return recorded
