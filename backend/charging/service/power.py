"""The site's power limit (光储充: what the solar panels and the storage can give at once) shared
among its active sessions: equal shares, none above its pile's own maximum, sent to the piles as
charging profiles whenever a session starts or stops. With no limit each pile may give its most."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from backend.charging.models import CommandState, Pile, Session, SessionState, Site
from backend.charging.service import commands
from backend.charging.service.commands import Action

# Rebalances of one site in this worker run one after the other, so that the later one (which
# counted the later sessions) is the one whose profiles the piles keep.
_site_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)


def shares(limit_w: int, piles_max_w: dict[int, int]) -> dict[int, int]:
    """Each session's share (session id -> W) of `limit_w` (0: no limit) among sessions whose
    piles can give at most `piles_max_w[session]`."""
    if not piles_max_w:
        return {}
    equal = limit_w // len(piles_max_w) if limit_w else None
    return {sid: most if equal is None else min(equal, most) for sid, most in piles_max_w.items()}


async def rebalance(redis: Any, site_id: int) -> dict[int, int]:
    """Share the site's limit among its active sessions and send each pile whose share changed
    its new limit; a session's limit is kept once its pile accepted it. {session id: W}."""
    async with _site_locks[site_id]:
        site = await Site.get_or_none(id=site_id)
        if site is None:
            return {}
        piles = {p.id: p for p in await Pile.filter(site_id=site_id)}
        active = await Session.filter(pile_id__in=list(piles), state=SessionState.ACTIVE).order_by("id")
        wanted = shares(site.power_limit_w, {s.id: piles[s.pile_id].max_power_w for s in active})
        # A pile never limited gives its most: with no site limit it needs no profile (a start
        # burst on a carport without one sends none); one limited before is sent its most again.
        changed = [
            s
            for s in active
            if s.limit_w != wanted[s.id] and not (s.limit_w is None and not site.power_limit_w)
        ]

        async def send(session: Session) -> None:
            payload = {
                "connector_id": session.connector_id,
                "transaction_id": session.id,
                "limit_w": wanted[session.id],
            }
            answer = await commands.send(redis, piles[session.pile_id].box_id, Action.SET_CHARGING_PROFILE, payload)
            if answer.state == CommandState.ACCEPTED:
                await Session.filter(id=session.id).update(limit_w=wanted[session.id])

        await asyncio.gather(*(send(s) for s in changed))
        return wanted
