"""What a pile reports, in plain terms: the events every protocol adapter calls (OCPP 1.6J
today) and nothing of any protocol. A pile resends what it queued while offline, so every
event is idempotent: a start sent again finds its session, samples sent again are the same rows,
a stop sent again changes nothing and answers the same. What a pile reports that cannot be
billed as sent (a meter going backwards, a stop reading below the start, an unknown tag or
transaction) is kept and recorded as an incident, never guessed at."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.charging.config import ChargingSettings
from backend.charging.models import (
    CommandState,
    Connector,
    ConnectorStatus,
    Fault,
    Incident,
    IncidentKind,
    MeterValue,
    PayerKind,
    Pile,
    Session,
    SessionState,
    StartRequest,
    StartState,
    Tag,
    TagKind,
    Tariff,
)
from backend.charging.service import background, billing, commands, power, tags, tariffs
from backend.charging.service.commands import Action
from backend.charging.service.notices import SESSION_NOTICE
from backend.charging.service.piles import PileRef
from backend.charging.service.tags import TagVerdict
from backend.core import sql
from backend.notices import service as notices
from backend.wallet.service import wallets

__all__ = ["BootInfo", "Sample", "Started", "TagVerdict"]

log = logging.getLogger(__name__)

# The edge passes the running settings (`settings_of(settings, "charging")`) as `settings=`; a
# caller that does not gets the documented defaults.
DEFAULTS = ChargingSettings()
NO_ERROR = "NoError"
# `seen` writes a pile's last message time at most this often (a pile sends several a minute;
# offline means silent for two heartbeats).
SEEN_EVERY = timedelta(seconds=10)


@dataclass(frozen=True)
class BootInfo:
    vendor: str
    model: str
    serial: str
    firmware: str


@dataclass(frozen=True)
class Sample:
    at: datetime
    energy_wh: int | None
    power_w: int | None
    soc: int | None


@dataclass(frozen=True)
class Started:
    transaction_id: int
    verdict: TagVerdict


async def _incident(
    conn: Any, kind: IncidentKind, at: datetime, pile_id: int | None, session_id: int | None = None, **detail: Any
) -> None:
    await Incident.create(kind=kind, pile_id=pile_id, session_id=session_id, detail=detail, at=at, using_db=conn)


async def boot(pile: PileRef, info: BootInfo, at: datetime, *, settings: ChargingSettings = DEFAULTS) -> int:
    """A pile (re)started: what it says of itself; the heartbeat interval it is to keep."""
    await sql.execute(
        connections.get("default"),
        "UPDATE charging_pile SET vendor = $1, model = $2, serial = $3, firmware = $4, heartbeat_s = $5, "
        "booted_at = $6, last_seen_at = $7 WHERE id = $8",
        info.vendor[:50],
        info.model[:50],
        info.serial[:50],
        info.firmware[:50],
        settings.heartbeat_seconds,
        *billing.db_values(Pile, booted_at=at, last_seen_at=at),
        pile.id,
    )
    _last_seen[pile.id] = at
    return settings.heartbeat_seconds


_last_seen: dict[int, datetime] = {}


def forget_seen() -> None:
    """Forget what this worker keeps of the tables (the tests empty them between tests): when
    piles were last written as seen, the tariff versions read."""
    _last_seen.clear()
    tariffs.forget()


async def seen(pile_id: int, at: datetime) -> None:
    """The pile sent something: it is online. Written at most every SEEN_EVERY per pile."""
    last = _last_seen.get(pile_id)
    if last is not None and timedelta(0) <= at - last < SEEN_EVERY:
        return
    _last_seen[pile_id] = at
    await sql.execute(
        connections.get("default"),
        "UPDATE charging_pile SET last_seen_at = $1 WHERE id = $2",
        *billing.db_values(Pile, last_seen_at=at, id=pile_id),
    )


async def status(
    redis: Any,
    pile: PileRef,
    connector_id: int,
    status: str,
    error_code: str,
    info: str,
    vendor_error_code: str,
    at: datetime,
) -> None:
    """A connector's (0: the whole pile's) status; an error code opens a fault until a later
    NoError closes it. A status older than the one held (a queued one) changes nothing."""
    state = ConnectorStatus(status)
    values = billing.db_values(
        Connector,
        pile_id=pile.id,
        connector_id=connector_id,
        status=state,
        error_code=error_code[:32],
        info=(info or "")[:50],
        vendor_error_code=(vendor_error_code or "")[:50],
        status_at=at,
    )
    # Every pile reports its connectors at boot, a thousand at once after a power cut: one
    # statement writes the status (the first report inserts the row), and the row it locks
    # serialises the connector's fault to the end of the transaction. A status older than the one
    # held updates nothing and returns no row.
    async with in_transaction() as conn:
        written = await sql.rows(
            conn,
            "INSERT INTO charging_connector AS c "
            "(pile_id, connector_id, status, error_code, info, vendor_error_code, status_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pile_id, connector_id) DO UPDATE SET "
            "status = excluded.status, error_code = excluded.error_code, info = excluded.info, "
            "vendor_error_code = excluded.vendor_error_code, status_at = excluded.status_at "
            "WHERE c.status_at IS NULL OR c.status_at <= excluded.status_at RETURNING id",
            *values,
        )
        if not written:
            return
        if not 0 <= connector_id <= pile.connectors:
            await _unknown_connector(conn, pile, connector_id, at)
        if error_code == NO_ERROR:
            await sql.execute(
                conn,
                "UPDATE charging_fault SET cleared_at = $1 WHERE pile_id = $2 AND connector_id = $3 "
                "AND cleared_at IS NULL",
                *billing.db_values(Fault, cleared_at=at, pile_id=pile.id, connector_id=connector_id),
            )
            return
        # Another error than the open fault's: that fault ends, this one begins.
        await sql.execute(
            conn,
            "UPDATE charging_fault SET cleared_at = $1 WHERE pile_id = $2 AND connector_id = $3 "
            "AND cleared_at IS NULL AND error_code <> $4",
            *billing.db_values(Fault, cleared_at=at, pile_id=pile.id, connector_id=connector_id),
            error_code[:32],
        )
        await sql.execute(
            conn,
            "INSERT INTO charging_fault (pile_id, connector_id, error_code, info, vendor_error_code, started_at) "
            "SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM charging_fault "
            "WHERE pile_id = $7 AND connector_id = $8 AND cleared_at IS NULL)",
            *values[:2],
            *values[3:6],
            *billing.db_values(Fault, started_at=at),
            pile.id,
            connector_id,
        )


async def _unknown_connector(
    conn: Any, pile: PileRef, connector_id: int, at: datetime, session_id: int | None = None
) -> None:
    """A connector the pile is not registered with (the board shows none): kept, recorded once
    per connector, or with the session started on it."""
    if session_id is None:
        recorded = Incident.filter(pile_id=pile.id, kind=IncidentKind.CONNECTOR_UNKNOWN, session_id=None)
        if {"connector_id": connector_id, "connectors": pile.connectors} in await recorded.using_db(conn).values_list(
            "detail", flat=True
        ):
            return
    await _incident(
        conn,
        IncidentKind.CONNECTOR_UNKNOWN,
        at,
        pile.id,
        session_id,
        connector_id=connector_id,
        connectors=pile.connectors,
    )


async def _may_start(payer: tags.Payer, id_tag: str, settings: ChargingSettings, conn: Any = None) -> TagVerdict:
    """Whether a known tag may start now: its own verdict, one session at a time, and for a
    wallet the minimum cash and no unpaid shortfall."""
    if payer.verdict != TagVerdict.ACCEPTED:
        return payer.verdict
    if await tags.has_active_session(id_tag, conn):
        return TagVerdict.CONCURRENT
    if payer.kind == PayerKind.WALLET and payer.person_id is not None:
        if await tags.has_active_wallet_session(payer.person_id, conn):
            return TagVerdict.CONCURRENT
        return await tags.wallet_verdict(payer.person_id, settings, conn)
    return TagVerdict.ACCEPTED


async def authorize(pile: PileRef, id_tag: str, at: datetime, *, settings: ChargingSettings = DEFAULTS) -> TagVerdict:
    """May `id_tag` start charging now (a card held to the reader)?"""
    return await _may_start(await tags.resolve(id_tag, at), id_tag, settings)


async def _verdict_again(session: Session, settings: ChargingSettings) -> TagVerdict:
    """The answer to a start sent again: what was recorded of the first, else the tag as it
    stands (the session itself not counted)."""
    kinds = set(await Incident.filter(session_id=session.id).values_list("kind", flat=True))
    if IncidentKind.UNKNOWN_TAG in kinds:
        return TagVerdict.INVALID
    if IncidentKind.CONCURRENT_TAG in kinds:
        return TagVerdict.CONCURRENT
    payer = await tags.resolve(session.id_tag, session.started_at)
    verdict = payer.verdict
    if verdict == TagVerdict.EXPIRED and _used_up_by(payer.tag, session):
        verdict = TagVerdict.ACCEPTED
    if verdict != TagVerdict.ACCEPTED or payer.kind != PayerKind.WALLET or payer.person_id is None:
        return verdict
    if IncidentKind.OFFLINE_START in kinds:
        # Answered Accepted whatever the balance the first time: the same again.
        return TagVerdict.ACCEPTED
    return await tags.wallet_verdict(payer.person_id, settings)


def _used_up_by(tag: Tag | None, session: Session) -> bool:
    """Whether `tag` is the mini-program token this very session used up (see _first_verdict)."""
    return tag is not None and tag.kind == TagKind.TOKEN and tag.expires_at == session.started_at


async def _lock(conn: Any, key: str) -> None:
    """Serialise the starts of one idTag (or one cadre) to the end of the transaction (SQLite has
    one writer)."""
    if conn.capabilities.dialect == "postgres":
        await sql.rows(conn, "SELECT pg_advisory_xact_lock(hashtext($1))", key)


async def _same_start(
    conn: Any, pile: PileRef, connector_id: int, id_tag: str, meter_start_wh: int, started_at: datetime
) -> Session | None:
    """The session this start already made (a start sent again), if any."""
    found = await sql.row(
        conn or connections.get("default"),
        "SELECT * FROM charging_session WHERE pile_id = $1 AND connector_id = $2 AND id_tag = $3 "
        "AND started_at = $4 AND meter_start_wh = $5",
        *billing.db_values(
            Session,
            pile_id=pile.id,
            connector_id=connector_id,
            id_tag=id_tag,
            started_at=started_at,
            meter_start_wh=meter_start_wh,
        ),
    )
    return None if found is None else Session._init_from_db(**found)


async def start_transaction(
    redis: Any,
    pile: PileRef,
    connector_id: int,
    id_tag: str,
    meter_start_wh: int,
    started_at: datetime,
    received_at: datetime,
    *,
    settings: ChargingSettings = DEFAULTS,
) -> Started:
    """A pile started a transaction. The session is always kept (the pile has delivered or will
    deliver energy); the verdict tells the pile whether to go on. Sent again, the same session
    and answer."""
    start = (pile, connector_id, id_tag, meter_start_wh, started_at)
    # A start before the first version is priced by the first one (the only prices there are);
    # with none at all the session is kept without one and priced when billed (billing.tariff_of).
    tariff = await tariffs.in_force(started_at) or await Tariff.all().order_by("effective_from", "id").first()
    offline = received_at - started_at > timedelta(seconds=2 * settings.heartbeat_seconds)
    try:
        async with in_transaction() as conn:
            await _lock(conn, id_tag)
            # A start sent again is found here, under the tag's lock, so it makes no second row.
            if (found := await _same_start(conn, *start)) is not None:
                return Started(found.id, await _verdict_again(found, settings))
            # Read under the lock: a start of the same unknown tag just before made its Tag.
            payer = await tags.resolve(id_tag, started_at)
            concurrent = await tags.has_active_session(id_tag, conn)
            if payer.kind == PayerKind.WALLET and payer.person_id is not None:
                # One wallet, one session at a time, whatever tag starts it: queued behind the
                # cadre's mini-program starts on the same lock (starts._serialise takes it last).
                await _lock(conn, tags.person_lock(payer.person_id))
                concurrent = concurrent or await tags.has_active_wallet_session(payer.person_id, conn)
            session = await Session.create(
                pile_id=pile.id,
                connector_id=connector_id,
                id_tag=id_tag,
                payer_kind=payer.kind,
                person_id=payer.person_id,
                vehicle_id=payer.vehicle_id,
                unit_id=payer.unit_id,
                tariff_id=None if tariff is None else tariff.id,
                meter_start_wh=meter_start_wh,
                meter_last_wh=meter_start_wh,
                started_at=started_at,
                received_at=received_at,
                using_db=conn,
            )
            verdict = await _first_verdict(conn, session, payer, concurrent, offline, settings)
            if tariff is None:
                await _incident(conn, IncidentKind.NO_TARIFF, received_at, pile.id, session.id)
            if not 1 <= connector_id <= pile.connectors:
                await _unknown_connector(conn, pile, connector_id, received_at, session.id)
    except IntegrityError:
        # The same start, sent twice at once, written by the other worker first.
        found = await _same_start(None, *start)
        if found is None:
            raise
        return Started(found.id, await _verdict_again(found, settings))
    background.spawn(power.rebalance(redis, pile.site_id, settings=settings))
    return Started(session.id, verdict)


async def _first_verdict(
    conn: Any,
    session: Session,
    payer: tags.Payer,
    concurrent: bool,
    offline: bool,
    settings: ChargingSettings,
) -> TagVerdict:
    """Record what the new session's start tells, and the verdict for the pile."""
    at, pile_id = session.received_at, session.pile_id
    if offline:
        await _incident(
            conn, IncidentKind.OFFLINE_START, at, pile_id, session.id, started_at=session.started_at.isoformat()
        )
    if payer.tag is None and payer.kind == PayerKind.NOBODY:
        await Tag.create(
            id_tag=session.id_tag,
            kind=TagKind.UNKNOWN,
            blocked=True,
            blocked_reason="未登记的卡开始充电",
            using_db=conn,
        )
        await _incident(conn, IncidentKind.UNKNOWN_TAG, at, pile_id, session.id, id_tag=session.id_tag)
        return TagVerdict.INVALID
    if payer.tag is not None and payer.tag.kind == TagKind.TOKEN and payer.verdict == TagVerdict.ACCEPTED:
        await (
            StartRequest.filter(id_tag=session.id_tag, session_id=None)
            .using_db(conn)
            .update(state=StartState.STARTED, session_id=session.id)
        )
        # A token starts one session: used up now, so the pile or a replay cannot start another
        # with it (a start sent again still finds this session by _same_start).
        await Tag.filter(id=payer.tag.id).using_db(conn).update(expires_at=session.started_at)
    if concurrent:
        await _incident(conn, IncidentKind.CONCURRENT_TAG, at, pile_id, session.id, id_tag=session.id_tag)
        return TagVerdict.CONCURRENT
    if payer.verdict != TagVerdict.ACCEPTED:
        return payer.verdict
    if offline or payer.kind != PayerKind.WALLET or payer.person_id is None:
        # A transaction started offline already happened: it is billed whatever the balance.
        return TagVerdict.ACCEPTED
    return await tags.wallet_verdict(payer.person_id, settings, conn)


async def _store_samples(conn: Any, session_id: int, samples: list[Sample], received_at: datetime) -> set[datetime]:
    """Each sample once (a sample sent again is the same row); samples without an energy
    register carry nothing to bill and are not kept. The times of the samples new here."""
    new = set()
    for sample in samples:
        if sample.energy_wh is None:
            continue
        values = billing.db_values(
            MeterValue,
            session_id=session_id,
            at=sample.at,
            energy_wh=sample.energy_wh,
            power_w=sample.power_w,
            soc=sample.soc,
            received_at=received_at,
        )
        inserted = await sql.rows(
            conn,
            "INSERT INTO charging_meter_value (session_id, at, energy_wh, power_w, soc, received_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, at) DO NOTHING RETURNING id",
            *values,
        )
        if inserted:
            new.add(sample.at)
    return new


def _backwards(samples: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """The samples whose register is below one before them (skipped by pricing)."""
    found, highest = [], None
    for at, register in samples:
        if highest is not None and register < highest:
            found.append((at, register))
        else:
            highest = register
    return found


async def meter_values(
    redis: Any,
    pile: PileRef,
    connector_id: int,
    transaction_id: int | None,
    samples: list[Sample],
    received_at: datetime,
    *,
    settings: ChargingSettings = DEFAULTS,
) -> None:
    """Samples of a session's meter: kept, its running cost updated, and for a wallet session
    whose cost nears the cash the pile asked once to stop. Values of no known transaction (the
    connector's own) are ignored; values arriving after the stop are kept and recorded, never
    billed again."""
    if transaction_id is None:
        return
    due: list[tuple[int, str, datetime | None]] = []
    async with in_transaction() as conn:
        session = await _locked_session(conn, transaction_id, pile.id)
        if session is None:
            return
        new = await _store_samples(conn, session.id, samples, received_at)
        if session.state == SessionState.STOPPED:
            late = Incident.filter(session_id=session.id, kind=IncidentKind.LATE_METER_VALUES).using_db(conn)
            if samples and not await late.exists():
                await _incident(
                    conn, IncidentKind.LATE_METER_VALUES, received_at, pile.id, session.id, count=len(samples)
                )
            return
        after = await billing.registers(conn, session)
        new_backwards = [s for s in _backwards(after) if s[0] in new]
        if new_backwards:
            await _incident(
                conn,
                IncidentKind.METER_BACKWARDS,
                received_at,
                pile.id,
                session.id,
                samples=[{"at": at.isoformat(), "energy_wh": wh} for at, wh in new_backwards],
            )
        # A register jump (a replaced meter, a unit mix-up) is kept but not priced: it would trip
        # the balance stop; the bill is capped by the stop reading, itself checked at the stop.
        priced = await billing.priced(conn, session, [s for s in after if _plausible(session, pile, s[1], s[0])])
        last = priced.energy_wh + session.meter_start_wh
        await sql.execute(
            conn,
            "UPDATE charging_session SET meter_last_wh = $1, running_fen = $2 WHERE id = $3",
            last,
            priced.amount_fen,
            session.id,
        )
        if session.payer_kind == PayerKind.WALLET and session.person_id is not None:
            due = await _stops_due(conn, session, pile.box_id, priced.amount_fen, received_at, settings)
    for session_id, box_id, requested_at in due:
        if (asked := await _request_stop(session_id, requested_at, received_at)) is not None:
            _sending.add(session_id)
            background.spawn(_send_stop(redis, box_id, session_id, asked, settings))


async def _locked_session(conn: Any, transaction_id: int, pile_id: int) -> Session | None:
    """The pile's session `transaction_id`, locked to the end of the transaction (its samples, its
    stop and its bill queue here), read by hand: every MeterValues and stop reads it."""
    found = await sql.row(
        conn, "SELECT * FROM charging_session WHERE id = $1 AND pile_id = $2 FOR UPDATE", transaction_id, pile_id
    )
    return None if found is None else Session._init_from_db(**found)


# The cadre's other active wallet sessions (one wallet may pay for a card tap and a token start).
_WALLET_SESSIONS = (
    "SELECT s.id, s.running_fen, s.stop_requested_at, p.box_id FROM charging_session s "
    "JOIN charging_pile p ON p.id = s.pile_id WHERE s.person_id = $1 AND s.payer_kind = $2 AND s.state = $3 "
    "AND s.id <> $4"
)


async def _stops_due(
    conn: Any, session: Session, box_id: str, running_fen: int, at: datetime, settings: ChargingSettings
) -> list[tuple[int, str, datetime | None]]:
    """The cadre's active wallet sessions to be asked to stop, with the stop request each holds:
    all of them once their running costs together come within the margin of the cash. A session
    asked before is asked again when no pile accepted its stop within two command time-outs (the
    worker sending it died)."""
    others = await sql.rows(
        conn,
        _WALLET_SESSIONS,
        session.person_id,
        PayerKind.WALLET.value,
        SessionState.ACTIVE.value,
        session.id,
    )
    wallet = await wallets.ensure_wallet(session.person_id)
    if running_fen + sum(r["running_fen"] for r in others) + settings.stop_margin_fen < wallet.cash_balance:
        return []
    held = [(session.id, box_id, session.stop_requested_at)] + [
        (r["id"], r["box_id"], sql.python_value(Session, "stop_requested_at", r["stop_requested_at"])) for r in others
    ]
    stale = at - timedelta(seconds=2 * settings.command_timeout_seconds)
    due = []
    for session_id, box, requested_at in held:
        if requested_at is None or (
            requested_at < stale and session_id not in _sending and not await _stop_accepted(conn, session_id)
        ):
            due.append((session_id, box, requested_at))
    return due


async def _stop_accepted(conn: Any, session_id: int) -> bool:
    """Whether a pile accepted a balance stop of the session (recorded with its incident)."""
    found = Incident.filter(session_id=session_id, kind=IncidentKind.BALANCE_STOP).using_db(conn)
    return any(detail.get("answer") == "accepted" for detail in await found.values_list("detail", flat=True))


async def _request_stop(session_id: int, held: datetime | None, at: datetime) -> datetime | None:
    """Mark the session to be stopped, once whoever else is trying (a conditional UPDATE on the
    request it held): only the winner sends; the time it marked, or None. Each session in a
    transaction of its own, so two samples of one cadre's sessions never wait on each other."""
    at = sql.python_value(Session, "stop_requested_at", at)
    async with in_transaction() as conn:
        won = await Session.filter(id=session_id, stop_requested_at=held).using_db(conn).update(stop_requested_at=at)
        if not won:
            return None
        session = await Session.get(id=session_id).using_db(conn)
        recorded = Incident.filter(session_id=session_id, kind=IncidentKind.BALANCE_STOP).using_db(conn)
        if not await recorded.exists():  # asked again: the cadre was told the first time
            cash = (await wallets.ensure_wallet(session.person_id)).cash_balance
            await _incident(
                conn,
                IncidentKind.BALANCE_STOP,
                at,
                session.pile_id,
                session.id,
                running_fen=session.running_fen,
                cash_fen=cash,
            )
            await notices.queue(conn, SESSION_NOTICE, session.person_id, session.id, at)
    return at


# The balance stops this worker is sending: not yet answered, so not to be asked again.
_sending: set[int] = set()


async def _send_stop(redis: Any, box_id: str, session_id: int, asked: datetime, settings: ChargingSettings) -> None:
    """Ask the pile to stop. Accepted: recorded with the incident (no second ask). Anything else
    (offline, timed out, refused): the request is withdrawn, so the next sample asks again."""
    try:
        answer = await commands.send(
            redis,
            box_id,
            Action.REMOTE_STOP,
            {"transaction_id": session_id},
            timeout=settings.command_timeout_seconds,
            settings=settings,
        )
        log.info("balance stop sent", extra={"session_id": session_id, "answer": answer.state.value})
        if answer.state != CommandState.ACCEPTED:
            await Session.filter(id=session_id, stop_requested_at=asked).update(stop_requested_at=None)
            return
        recorded = Incident.filter(session_id=session_id, kind=IncidentKind.BALANCE_STOP)
        if (incident := await recorded.order_by("-id").first()) is not None:
            incident.detail = {**incident.detail, "answer": "accepted"}
            await incident.save(update_fields=["detail"])
    finally:
        _sending.discard(session_id)


# A reading beyond this many times what the pile's rating could deliver is a unit mix-up
# (kWh × 1000), a replaced meter or a wrapped register, not energy. An order of magnitude, not
# the rating's 20 % slack: the rating is typed in by staff (7 kW unless told), and a DC pile
# entered at the default must not have every true bill replaced.
PLAUSIBLE_OVER_RATED = 10


def _plausible(session: Session, pile: PileRef, register: int, at: datetime) -> bool:
    """Whether the pile could have delivered `register - meter_start` Wh by `at` at its rating."""
    # At least an hour: a pile's clock is not exact, nor a reading taken seconds after the start.
    hours = max((at - session.started_at).total_seconds() / 3600, 1)
    return register - session.meter_start_wh <= pile.max_power_w * hours * PLAUSIBLE_OVER_RATED


def _unusable_stop(session: Session, pile: PileRef, meter_stop_wh: int, stopped_at: datetime) -> str | None:
    """Why the stop reading cannot be billed as sent, or None."""
    if meter_stop_wh < 0 or meter_stop_wh < session.meter_start_wh:
        return "below_start"
    if not _plausible(session, pile, meter_stop_wh, stopped_at):
        return "implausible"
    return None


def _last_good(session: Session, pile: PileRef, samples: list[tuple[datetime, int]]) -> int:
    """The highest register the pile plausibly reached (its start's at least): samples going
    backwards or jumping beyond the pile's rating are not counted."""
    good = [wh for at, wh in samples if wh >= session.meter_start_wh and _plausible(session, pile, wh, at)]
    return max(good, default=session.meter_start_wh)


async def stop_transaction(
    redis: Any,
    pile: PileRef,
    transaction_id: int,
    meter_stop_wh: int,
    stopped_at: datetime,
    reason: str,
    id_tag: str | None,
    samples: list[Sample],
    received_at: datetime,
    *,
    settings: ChargingSettings = DEFAULTS,
) -> TagVerdict | None:
    """A pile stopped a transaction: the session ends with its reading and is billed once. Sent
    again (a duplicate, a reconnect, another worker): nothing changes, the same answer: the
    tag's verdict as it stands (a blocked card is told so). An unknown transaction is recorded
    once; None means no idTagInfo in the answer."""
    answer = None if not id_tag else (await tags.resolve(id_tag, stopped_at)).verdict
    stopped_now = False
    async with in_transaction() as conn:
        session = await _locked_session(conn, transaction_id, pile.id)
        if session is None:
            detail = {
                "transaction_id": transaction_id,
                "meter_stop_wh": meter_stop_wh,
                "stopped_at": stopped_at.isoformat(),
            }
            seen_before = Incident.filter(pile_id=pile.id, kind=IncidentKind.UNKNOWN_TRANSACTION).using_db(conn)
            if detail not in await seen_before.values_list("detail", flat=True):  # a stop sent again
                await _incident(conn, IncidentKind.UNKNOWN_TRANSACTION, received_at, pile.id, **detail)
            return None
        if session.state == SessionState.STOPPED:
            return answer
        await _store_samples(conn, session.id, samples, received_at)
        meter_stop = meter_stop_wh
        reason_invalid = _unusable_stop(session, pile, meter_stop_wh, stopped_at)
        if reason_invalid is not None:
            meter_stop = _last_good(session, pile, await billing.registers(conn, session, stopped_at))
            await _incident(
                conn,
                IncidentKind.METER_STOP_INVALID,
                received_at,
                pile.id,
                session.id,
                meter_stop_wh=meter_stop_wh,
                used_wh=meter_stop,
                reason=reason_invalid,
            )
        session.state, session.stop_reason = SessionState.STOPPED, (reason or "")[:32]
        session.meter_stop_wh = session.meter_last_wh = meter_stop
        session.stopped_at = stopped_at
        await sql.execute(
            conn,
            "UPDATE charging_session SET state = $1, meter_stop_wh = $2, meter_last_wh = $3, stopped_at = $4, "
            "stop_reason = $5 WHERE id = $6",
            *billing.db_values(
                Session,
                state=session.state,
                meter_stop_wh=meter_stop,
                meter_last_wh=meter_stop,
                stopped_at=stopped_at,
                stop_reason=session.stop_reason,
                id=session.id,
            ),
        )
        stopped_now = True
    if stopped_now:
        try:
            await billing.bill_stopped_now(session, received_at)
        except Exception:
            # The stop is kept whatever befalls its bill: charging.bill_stopped bills it later.
            log.exception("charging bill failed after a stop", extra={"session_id": session.id})
        background.spawn(power.rebalance(redis, pile.site_id, settings=settings))
    return answer


async def firmware_status(pile_id: int, status: str, at: datetime) -> None:
    await Pile.filter(id=pile_id).update(firmware_status=status[:32])


async def diagnostics_status(pile_id: int, status: str, at: datetime) -> None:
    await Pile.filter(id=pile_id).update(diagnostics_status=status[:32])


async def data_transfer(pile: PileRef, vendor_id: str, message_id: str | None, data: str | None, at: datetime) -> str:
    """No vendor extension is known here: logged and answered UnknownVendorId (OCPP 1.6 §4.3)."""
    log.info(
        "charging data transfer from an unknown vendor",
        extra={"box_id": pile.box_id, "vendor_id": vendor_id[:255], "message_id": (message_id or "")[:50]},
    )
    return "UnknownVendorId"
