"""Charging from the mini-program: piles near me with the state of their connectors, a start by
scanning a connector's QR code (a one-off token sent to the pile as the idTag of a remote start),
the live view of a session (kWh, power, running cost, time), stopping it, and the cadre's history
with receipts.

A start is made once per (cadre, client_ref): a retry, however late, answers the same request as
it stands now and sends nothing again. Who pays is decided here: the cadre's wallet cash (the
default), or, when a plate is given, the official car's unit (only for an active fleet driver, a
new-energy car in use, and a car on one of that driver's trips now). The pile decides the rest:
the token's session is linked to the request when the pile's StartTransaction arrives
(service.sessions), and a request the pile never used expires with its token (`expire`, the job
charging.expire_starts).

The live view and the receipt price a session by billing's own choice of samples, so what the
cadre sees is what they are charged.

A cadre sees only their own sessions: those billed to them, and those they started for an
official car."""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.charging.config import ChargingSettings
from backend.charging.errors import ChargingError
from backend.charging.models import (
    Bill,
    CommandState,
    Connector,
    ConnectorStatus,
    MeterValue,
    Pile,
    Session,
    SessionState,
    Site,
    StartRequest,
    StartState,
    Tag,
    TagKind,
    Tariff,
)
from backend.charging.service import billing, commands, health, tariffs
from backend.core.money import yuan_text
from backend.core.pagination import paginate
from backend.core.timeutil import now
from backend.fleet.service import records as fleet_records
from backend.wallet.service import wallets

CLIENT_REF = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# A token is "M" and 19 characters of base32: 95 random bits, within OCPP's 20-character idTag.
_TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TOKEN_LENGTH = 19
MAX_NEAR = 50
_EARTH_RADIUS_M = 6_371_000


# ---- starting and stopping -----------------------------------------------------------------------


def _new_token() -> str:
    return "M" + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_LENGTH))


async def _serialise(conn: Any, *keys: str) -> None:
    """Queue concurrent starts on the same keys (a cadre, a connector) until this transaction ends.
    SQLite has one writer, so there the transaction alone serialises them."""
    if conn.capabilities.dialect == "postgres":
        for key in sorted(keys):  # one order everywhere, so two starts never wait on each other
            await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [key])


async def _start_view(request: StartRequest) -> dict:
    pile = await Pile.get(id=request.pile_id)
    plate = (await fleet_records.get_vehicle(request.vehicle_id))["plate"] if request.vehicle_id else None
    return {
        "id": request.id,
        "client_ref": request.client_ref,
        "box_id": pile.box_id,
        "pile_name": pile.name,
        "connector_id": request.connector_id,
        "plate": plate,
        "state": request.state.value,
        "state_label": request.state.label,
        "session_id": request.session_id,
        "created_at": request.created_at.isoformat(),
    }


async def _payer(person_id: int, plate: str | None, at: datetime, settings: ChargingSettings) -> int | None:
    """Refuse a start its payer cannot make; the official car's vehicle id, or None for the
    cadre's wallet. Before the start's transaction: these ask other modules. An official car is
    charged to its unit only by a driver who has it in hand now (fleet's `drivable_by`: a trip
    of theirs on that car), so a typed plate cannot bill another car's unit."""
    if plate is not None:
        if not await fleet_records.is_active_driver(person_id):
            raise ChargingError.NOT_A_DRIVER.error()
        vehicle = await fleet_records.chargeable_vehicle(plate)
        # A pool car has no unit whose fleet cost would pay: the pile would be refused the start.
        if vehicle is None or vehicle.home_unit_id is None:
            raise ChargingError.VEHICLE_NOT_CHARGEABLE.error(plate=plate)
        if not await fleet_records.drivable_by(person_id, vehicle.id, at):
            raise ChargingError.VEHICLE_NOT_DRIVABLE.error(plate=vehicle.plate)
        return vehicle.id
    owed = await billing.arrears_of(person_id)
    if owed > 0:
        raise ChargingError.ARREARS_UNPAID.error(amount=f"{yuan_text(owed)} 元")
    if (await wallets.wallet_view(person_id))["cash_fen"] < settings.min_balance_fen:
        raise ChargingError.BALANCE_TOO_LOW.error(minimum=f"{yuan_text(settings.min_balance_fen)} 元")
    return None


async def _refuse_busy(conn: Any, person_id: int, pile: Pile, connector_id: int, since: datetime) -> None:
    """Under the start's locks: the connector must be free and the cadre not already charging
    or starting elsewhere (one session at a time, whoever pays)."""
    state = await Connector.get_or_none(pile_id=pile.id, connector_id=connector_id).using_db(conn)
    taken = StartRequest.filter(
        pile_id=pile.id, connector_id=connector_id, state=StartState.SENT, created_at__gte=since
    )
    charging = Session.filter(pile_id=pile.id, connector_id=connector_id, state=SessionState.ACTIVE)
    if (
        state is None
        or state.status not in (ConnectorStatus.AVAILABLE, ConnectorStatus.PREPARING)
        or await taken.using_db(conn).exists()
        or await charging.using_db(conn).exists()
    ):
        raise ChargingError.PILE_BUSY.error()
    pending = StartRequest.filter(person_id=person_id, state=StartState.SENT, created_at__gte=since)
    running = Session.filter(Q(person_id=person_id) | Q(start_request__person_id=person_id), state=SessionState.ACTIVE)
    if await pending.using_db(conn).exists() or await running.using_db(conn).exists():
        raise ChargingError.ALREADY_CHARGING.error()


async def start(
    redis: aioredis.Redis,
    person_id: int,
    box_id: str,
    connector_id: int,
    client_ref: str,
    plate: str | None,
    at: datetime,
    settings: ChargingSettings | None = None,
) -> dict:
    """Start charging at a connector the cadre scanned: checks, a token and the request in one
    transaction, then the pile is asked to start with the token. Answers the request (state
    `sent` until the pile reports the session). The same client_ref again answers the same request
    without asking the pile again; used for another connector it is refused (CLIENT_REF_REUSED)."""
    settings = settings or ChargingSettings()
    if not CLIENT_REF.match(client_ref):
        raise ChargingError.CLIENT_REF_INVALID.error()
    plate = (plate or "").strip() or None
    pile = await Pile.get_or_none(box_id=box_id, is_active=True)

    async def replayed(request: StartRequest) -> dict:
        view = await _start_view(request)
        if (view["box_id"], view["connector_id"]) != (box_id, connector_id):
            raise ChargingError.CLIENT_REF_REUSED.error()
        return view

    existing = await StartRequest.get_or_none(person_id=person_id, client_ref=client_ref)
    if existing is not None:
        return await replayed(existing)
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    if not 1 <= connector_id <= pile.connectors:
        raise ChargingError.CONNECTOR_INVALID.error(count=pile.connectors)
    if not health.is_online(pile.last_seen_at, pile.heartbeat_s, at):
        raise ChargingError.PILE_OFFLINE.error(name=pile.name)
    if await tariffs.in_force(at) is None:
        raise ChargingError.NO_TARIFF.error()
    vehicle_id = await _payer(person_id, plate, at, settings)
    token = _new_token()
    try:
        async with in_transaction() as conn:
            await _serialise(conn, f"charging:start:person:{person_id}", f"charging:start:{pile.id}:{connector_id}")
            if await StartRequest.filter(person_id=person_id, client_ref=client_ref).using_db(conn).exists():
                # A twin made it while this one waited on the lock: answered below like a
                # twin caught by the unique key.
                raise IntegrityError("charging_start_request: (person, client_ref) taken")
            await _refuse_busy(
                conn, person_id, pile, connector_id, at - timedelta(minutes=settings.start_token_minutes)
            )
            await Tag.create(
                id_tag=token,
                kind=TagKind.TOKEN,
                person_id=person_id,
                vehicle_id=vehicle_id,
                expires_at=at + timedelta(minutes=settings.start_token_minutes),
                using_db=conn,
            )
            request = await StartRequest.create(
                person_id=person_id,
                client_ref=client_ref,
                pile_id=pile.id,
                connector_id=connector_id,
                vehicle_id=vehicle_id,
                id_tag=token,
                created_at=at,
                using_db=conn,
            )
    except IntegrityError:
        # A twin with the same client_ref committed first: answer it.
        twin = await StartRequest.get_or_none(person_id=person_id, client_ref=client_ref)
        if twin is None:
            raise
        return await replayed(twin)
    answer = await commands.send(
        redis,
        pile.box_id,
        commands.Action.REMOTE_START,
        {"connector_id": connector_id, "id_tag": token},
        person_id=person_id,
        timeout=settings.command_timeout_seconds,
    )
    if answer.state == CommandState.TIMED_OUT:
        # The pile may still start: the request waits for it (or for its expiry) and a retry
        # with the same client_ref shows how it ended.
        raise ChargingError.COMMAND_TIMEOUT.error(seconds=settings.command_timeout_seconds)
    if answer.state != CommandState.ACCEPTED:
        await _refuse(request, token, answer.state.label, at)
        if answer.state == CommandState.OFFLINE:
            raise ChargingError.PILE_OFFLINE.error(name=pile.name)
        status = answer.data.get("status") or answer.data.get("error") or answer.state.label
        raise ChargingError.COMMAND_REJECTED.error(status=status)
    return await _start_view(await StartRequest.get(id=request.id))


async def _refuse(request: StartRequest, token: str, why: str, at: datetime) -> None:
    """A start the pile refused: the request is rejected and its token can start nothing."""
    async with in_transaction() as conn:
        await StartRequest.filter(id=request.id, state=StartState.SENT).using_db(conn).update(state=StartState.REJECTED)
        await (
            Tag.filter(id_tag=token)
            .using_db(conn)
            .update(blocked=True, blocked_reason=f"远程启动未成功：{why}", expires_at=at)
        )


async def start_request(person_id: int, start_id: int) -> dict:
    """A start the cadre made, as it stands (polled until the pile reports the session)."""
    request = await StartRequest.get_or_none(id=start_id, person_id=person_id)
    if request is None:
        raise ChargingError.START_NOT_FOUND.error()
    return await _start_view(request)


async def expire(at: datetime, settings: ChargingSettings | None = None) -> int:
    """Requests the pile has not used within CHARGING_START_TOKEN_MINUTES expire, and their tokens
    can start nothing any more. Each once: a conditional update, safe beside the pile's start
    arriving at the same moment (only a request still `sent` expires). Returns how many."""
    settings = settings or ChargingSettings()
    cutoff = at - timedelta(minutes=settings.start_token_minutes)
    expired = 0
    stale = await StartRequest.filter(state=StartState.SENT, created_at__lt=cutoff).values_list("id", "id_tag")
    for request_id, token in stale:
        async with in_transaction() as conn:
            changed = (
                await StartRequest.filter(id=request_id, state=StartState.SENT)
                .using_db(conn)
                .update(state=StartState.EXPIRED)
            )
            if changed:
                await (
                    Tag.filter(id_tag=token, kind=TagKind.TOKEN)
                    .using_db(conn)
                    .update(blocked=True, blocked_reason="启动凭证过期未使用")
                )
                expired += 1
    return expired


async def _own_session(person_id: int, session_id: int) -> Session:
    session = await Session.filter(
        Q(person_id=person_id) | Q(start_request__person_id=person_id), id=session_id
    ).first()
    if session is None:
        raise ChargingError.SESSION_NOT_FOUND.error()
    return session


async def stop(
    redis: aioredis.Redis, person_id: int, session_id: int, at: datetime, settings: ChargingSettings | None = None
) -> dict:
    """Ask the pile to stop the cadre's session. The session ends when the pile reports the stop
    (it is billed then); until then the answer shows it still charging."""
    settings = settings or ChargingSettings()
    session = await _own_session(person_id, session_id)
    if session.state != SessionState.ACTIVE:
        raise ChargingError.SESSION_NOT_ACTIVE.error()
    pile = await Pile.get(id=session.pile_id)
    answer = await commands.send(
        redis,
        pile.box_id,
        commands.Action.REMOTE_STOP,
        {"transaction_id": session.id},
        person_id=person_id,
        timeout=settings.command_timeout_seconds,
    )
    if answer.state == CommandState.OFFLINE:
        raise ChargingError.PILE_OFFLINE.error(name=pile.name)
    if answer.state == CommandState.TIMED_OUT:
        raise ChargingError.COMMAND_TIMEOUT.error(seconds=settings.command_timeout_seconds)
    if answer.state != CommandState.ACCEPTED:
        status = answer.data.get("status") or answer.data.get("error") or answer.state.label
        raise ChargingError.COMMAND_REJECTED.error(status=status)
    return await live(person_id, session_id)


# ---- the live view, history and receipts ---------------------------------------------------------


async def _priced(session: Session) -> tariffs.Priced | None:
    """The session's cost as its bill has it or will: the bill's own choice of samples
    (billing.final_price once stopped; billing.registers while it runs), so the cadre never sees
    a figure other than the one charged. None for a session without a tariff."""
    if session.tariff_id is None:
        return None
    if session.state == SessionState.STOPPED:
        return await billing.final_price(None, session)
    return tariffs.price(await Tariff.get(id=session.tariff_id), await billing.registers(None, session))


async def _plates(vehicle_ids: set[int]) -> dict[int, str]:
    return {v: (await fleet_records.get_vehicle(v))["plate"] for v in vehicle_ids}


def _summary(session: Session, pile: Pile, site: Site, bill: Bill | None, plate: str | None) -> dict:
    return {
        "session_id": session.id,
        "state": session.state.value,
        "state_label": session.state.label,
        "site_name": site.name,
        "pile_name": pile.name,
        "box_id": pile.box_id,
        "connector_id": session.connector_id,
        "payer_kind": session.payer_kind.value,
        "payer_label": session.payer_kind.label,
        "plate": plate,
        "started_at": session.started_at.isoformat(),
        "stopped_at": session.stopped_at.isoformat() if session.stopped_at else None,
        "stop_reason": session.stop_reason,
        "bill": billing.bill_view(bill, session) if bill is not None else None,
    }


async def live(person_id: int, session_id: int) -> dict:
    """A session as it goes: energy so far, power, state of charge, the running cost priced
    exactly as the bill will be (tariffs.price over the samples so far), and how long it has
    run; once billed, the bill's figures."""
    session = await _own_session(person_id, session_id)
    pile = await Pile.get(id=session.pile_id)
    site = await Site.get(id=pile.site_id)
    bill = await Bill.get_or_none(session_id=session.id)
    priced = None if bill else await _priced(session)
    latest = await MeterValue.filter(session_id=session.id).order_by("-at", "-id").first()
    ended = session.stopped_at if session.state == SessionState.STOPPED and session.stopped_at else now()
    charging = session.state == SessionState.ACTIVE
    plate = (await _plates({session.vehicle_id}))[session.vehicle_id] if session.vehicle_id else None
    return {
        **_summary(session, pile, site, bill, plate),
        "duration_s": max(0, int((ended - session.started_at).total_seconds())),
        "energy_wh": bill.energy_wh if bill else (priced.energy_wh if priced else 0),
        "power_w": (latest.power_w if latest else None) if charging else None,
        "soc": latest.soc if latest else None,
        "amount_fen": bill.amount_fen if bill else (priced.amount_fen if priced else 0),
        "stop_requested": session.stop_requested_at is not None,
        "sampled_at": latest.at.isoformat() if latest else None,
    }


async def history(person_id: int, page: int, page_size: int) -> dict:
    """The cadre's sessions, newest first, each with its bill once billed."""
    query = Session.filter(Q(person_id=person_id) | Q(start_request__person_id=person_id))
    found = await paginate(query, page, page_size, order_by=("-started_at", "-id"))
    sessions: list[Session] = found.items
    piles = {p.id: p for p in await Pile.filter(id__in={s.pile_id for s in sessions})}
    sites = {s.id: s for s in await Site.filter(id__in={p.site_id for p in piles.values()})}
    bills = {b.session_id: b for b in await Bill.filter(session_id__in=[s.id for s in sessions])}
    plates = await _plates({s.vehicle_id for s in sessions if s.vehicle_id})
    items = [
        _summary(
            s,
            piles[s.pile_id],
            sites[piles[s.pile_id].site_id],
            bills.get(s.id),
            plates.get(s.vehicle_id) if s.vehicle_id else None,
        )
        for s in sessions
    ]
    return {**found.as_dict(), "items": items}


async def receipt(person_id: int, session_id: int) -> dict:
    """A session's receipt: where and when, the energy per price band, the energy and service
    charges, what was paid and what is still owed, and the tariff it was priced by (`bill` is
    null until the session is billed, moments after the pile reports its stop)."""
    session = await _own_session(person_id, session_id)
    bill = await Bill.get_or_none(session_id=session.id)
    pile = await Pile.get(id=session.pile_id)
    site = await Site.get(id=pile.site_id)
    tariff = await session.tariff
    plate = (await _plates({session.vehicle_id}))[session.vehicle_id] if session.vehicle_id else None
    return {
        **_summary(session, pile, site, bill, plate),
        "tariff_name": tariff.name if tariff else "",
        "service_fee_fen_per_kwh": tariff.service_fee_fen_per_kwh if tariff else None,
        "meter_start_wh": session.meter_start_wh,
        "meter_stop_wh": session.meter_stop_wh,
    }


# ---- piles near me -------------------------------------------------------------------------------

# What a cadre looking for a free connector needs to know of each: the pile's own words folded
# into four.
_FREE = {ConnectorStatus.AVAILABLE, ConnectorStatus.PREPARING}
_FAULTED = {ConnectorStatus.FAULTED, ConnectorStatus.UNAVAILABLE}
NEAR_STATES = {"free": "空闲", "charging": "使用中", "faulted": "故障或停用", "offline": "离线"}


def _near_state(online: bool, connector: Connector | None) -> str:
    if not online or connector is None:
        return "offline"
    if connector.status in _FREE:
        return "free"
    if connector.status in _FAULTED:
        return "faulted"
    return "charging"


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> int:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * _EARTH_RADIUS_M * math.asin(math.sqrt(h)))


async def piles_near(lat: float, lng: float, limit: int, at: datetime | None = None) -> list[dict]:
    """Active sites with a location, nearest first, each with its active piles and the state of
    every connector (free, charging, faulted or offline) and how many are free."""
    at = at or now()
    sites = await Site.filter(is_active=True, lat__isnull=False, lng__isnull=False)
    nearest = sorted(sites, key=lambda s: (distance_m(lat, lng, s.lat, s.lng), s.id))[:limit]
    piles = await Pile.filter(site_id__in=[s.id for s in nearest], is_active=True).order_by("box_id")
    states = {(c.pile_id, c.connector_id): c for c in await Connector.filter(pile_id__in=[p.id for p in piles])}
    by_site: dict[int, list[dict]] = {s.id: [] for s in nearest}
    for pile in piles:
        online = health.is_online(pile.last_seen_at, pile.heartbeat_s, at)
        connectors = []
        for number in range(1, pile.connectors + 1):
            state = _near_state(online, states.get((pile.id, number)))
            connectors.append({"connector_id": number, "state": state, "state_label": NEAR_STATES[state]})
        by_site[pile.site_id].append(
            {
                "box_id": pile.box_id,
                "name": pile.name,
                "max_power_w": pile.max_power_w,
                "online": online,
                "connectors": connectors,
            }
        )
    return [
        {
            "site_id": site.id,
            "name": site.name,
            "address": site.address,
            "lat": site.lat,
            "lng": site.lng,
            "distance_m": distance_m(lat, lng, site.lat, site.lng),
            "free": sum(c["state"] == "free" for p in by_site[site.id] for c in p["connectors"]),
            "piles": by_site[site.id],
        }
        for site in nearest
    ]
