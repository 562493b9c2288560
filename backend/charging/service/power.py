"""The site's power limit (光储充: what the solar panels and the storage can give at once) shared
among its active sessions: equal shares, none above its pile's own maximum, sent to the piles as
charging profiles whenever a session starts or stops. With no limit each pile may give its most."""

from __future__ import annotations

import asyncio
import secrets
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from tortoise import connections

from backend.charging.config import ChargingSettings
from backend.charging.models import Command, CommandState, Session, SessionState
from backend.charging.service import commands
from backend.charging.service.commands import Action
from backend.core import sql
from backend.wallet.service import wallets

DEFAULTS = ChargingSettings()
# Rebalances of one site in this worker run one after the other, so that the later one (which
# counted the later sessions) is the one whose profiles the piles keep.
_site_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
# The rebalance of each site waiting for its turn, which later starts and stops join.
_waiting: dict[int, asyncio.Future] = {}


def shares(limit_w: int, piles_max_w: dict[int, int]) -> dict[int, int]:
    """Each session's share (session id -> W) of `limit_w` (0: no limit) among sessions whose
    piles can give at most `piles_max_w[session]`."""
    if not piles_max_w:
        return {}
    equal = limit_w // len(piles_max_w) if limit_w else None
    return {sid: most if equal is None else min(equal, most) for sid, most in piles_max_w.items()}


# The site's active sessions with what sharing needs of each, in one statement: every start and
# stop asks it, a thousand in the minute cars arrive.
_ACTIVE = (
    "SELECT s.id, s.pile_id, s.connector_id, s.id_tag, s.received_at, s.limit_w, p.box_id, p.max_power_w, "
    "site.power_limit_w "
    "FROM charging_session s JOIN charging_pile p ON p.id = s.pile_id JOIN charging_site site ON site.id = p.site_id "
    "WHERE p.site_id = $1 AND s.state = $2 ORDER BY s.id"
)


async def rebalance(redis: Any, site_id: int, *, settings: ChargingSettings | None = None) -> dict[int, int]:
    """Share the site's limit among its active sessions and send each pile whose share changed
    its new limit; a session's limit is kept once its pile accepted it. {session id: W}. Called
    after each start and stop, and by whoever changes the site's limit.

    Starts and stops of one site that come while a rebalance of it waits its turn join that one:
    it reads the sessions after they were written, so it counts theirs too."""
    settings = settings or DEFAULTS
    if (waiting := _waiting.get(site_id)) is not None:
        return await asyncio.shield(waiting)
    waiting = _waiting[site_id] = asyncio.get_running_loop().create_future()
    try:
        async with _site_locks[site_id], _site_lock(redis, site_id, settings):
            del _waiting[site_id]
            result = await _rebalance(redis, site_id, settings)
    except BaseException as error:
        if _waiting.get(site_id) is waiting:
            del _waiting[site_id]
        if isinstance(error, Exception):
            waiting.set_exception(error)
            waiting.exception()  # retrieved: those who joined get it raised, none is logged twice
        else:
            waiting.cancel()
        raise
    waiting.set_result(result)
    return result


@asynccontextmanager
async def _site_lock(redis: Any, site_id: int, settings: ChargingSettings) -> AsyncIterator[None]:
    """The site's rebalance across workers (a start on one, a stop on the other): a Redis lock
    with this holder's token, expiring after a round of sends should its worker die."""
    key, token = f"charging:site:{site_id}:rebalance", secrets.token_hex(8)
    hold_ms = (2 * settings.command_timeout_seconds + 5) * 1000
    while not await redis.set(key, token, nx=True, px=hold_ms):
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        async with redis.pipeline() as pipe:
            await pipe.watch(key)
            held = await pipe.get(key)
            if held in (token, token.encode()):
                pipe.multi()
                pipe.delete(key)
                await pipe.execute()
            else:
                await pipe.unwatch()


# Rounds of sharing after which a site still changing is left to the next start or stop.
ROUNDS = 3


async def _rebalance(redis: Any, site_id: int, settings: ChargingSettings) -> dict[int, int]:
    """Share and send until the shares hold: a start or stop written while the profiles were
    being sent is counted by the next round."""
    wanted: dict[int, int] = {}
    for _ in range(ROUNDS):
        wanted, sent = await _share_once(redis, site_id, settings)
        if not sent:
            break
    return wanted


# How long before its pile reported the start a remote start's command may have been sent.
START_WINDOW = timedelta(minutes=10)


async def _requested(conn: Any, active: list[dict]) -> dict[int, int]:
    """The limit a remote start asked for its session ({session id: W}): the accepted
    REMOTE_START of the session's pile, connector and idTag sent last before its start was
    received. A share never raises a session above it."""
    received = {s["id"]: sql.python_value(Session, "received_at", s["received_at"]) for s in active}
    since = min(received.values()) - START_WINDOW
    starts = await (
        Command.filter(
            pile_id__in={s["pile_id"] for s in active},
            action=Action.REMOTE_START.value,
            state=CommandState.ACCEPTED,
            sent_at__gte=since,
        )
        .using_db(conn)
        .order_by("id")
        .values_list("pile_id", "payload", "sent_at")
    )
    requested = {}
    for session in active:
        for pile_id, payload, sent_at in starts:
            if (
                pile_id == session["pile_id"]
                and payload.get("connector_id") == session["connector_id"]
                # Commands keep the card number masked: the pile, connector and the minutes
                # before the start make the masked number enough to tell the start apart.
                and payload.get("id_tag") == wallets.mask_uid(session["id_tag"])
                and payload.get("limit_w")
                and received[session["id"]] - START_WINDOW <= sent_at <= received[session["id"]]
            ):
                requested[session["id"]] = payload["limit_w"]
    return requested


async def _share_once(redis: Any, site_id: int, settings: ChargingSettings) -> tuple[dict[int, int], int]:
    """One round: the shares, and how many profiles were sent."""
    conn = connections.get("default")
    active = await sql.rows(conn, _ACTIVE, site_id, SessionState.ACTIVE.value)
    if not active:
        return {}, 0
    limit_w = active[0]["power_limit_w"]
    wanted = shares(limit_w, {s["id"]: s["max_power_w"] for s in active})
    for session_id, requested in (await _requested(conn, active)).items():
        wanted[session_id] = min(wanted[session_id], requested)
    # A pile never limited gives its most: with no site limit it needs no profile (a start burst
    # on a carport without one sends none); one limited before is sent its most again.
    changed = [s for s in active if s["limit_w"] != wanted[s["id"]] and not (s["limit_w"] is None and not limit_w)]

    async def send(session: dict) -> bool:
        payload = {
            "connector_id": session["connector_id"],
            "transaction_id": session["id"],
            "limit_w": wanted[session["id"]],
        }
        answer = await commands.send(redis, session["box_id"], Action.SET_CHARGING_PROFILE, payload, settings=settings)
        if answer.state != CommandState.ACCEPTED:
            return False
        await sql.execute(
            conn, "UPDATE charging_session SET limit_w = $1 WHERE id = $2", wanted[session["id"]], session["id"]
        )
        return True

    # Only accepted profiles count as a change: a pile that refused or is offline is not asked
    # again in a loop (the next start or stop asks it).
    accepted = await asyncio.gather(*(send(s) for s in changed))
    return wanted, sum(accepted)
