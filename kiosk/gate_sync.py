"""A gate terminal's link to the backend: the facts it decides offline from, and its journal upload.

`GateLink` asks `/device/v1/access/sync` with the versions it holds (the backend then leaves out
the revocations and used counts, or the cards, while they are unchanged), keeps what it got in
the journal's memo so a terminal restarted while offline still checks passes, and uploads the
decisions it took offline, marking each only once the backend has recorded it.

The terminal's clock may be wrong, and a pass's validity and a QR's time step are checked offline
against it: each sync answer's server time (a `server_time` in the body when the backend sends
one, else the HTTP `Date` header) gives the offset of the terminal's clock, kept (and remembered
across restarts) so that offline checks use the corrected time (`server_now`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

from kiosk.backend_client import BackendClient
from kiosk.gate_journal import GateEvent, GateJournal
from kiosk.gate_pass import GateFacts
from kiosk.sync import BackendLink, Unreachable, answered, json_of, upload_pending

log = logging.getLogger(__name__)

SYNC_MEMO = "gate_sync"
SYNCED_AT_MEMO = "gate_synced_at"
CLOCK_OFFSET_MEMO = "gate_clock_offset"
# Every answer means the backend has the event: only then is it done (invalid ones cannot get better).
ACCEPTED_RESULTS = frozenset({"recorded", "duplicate", "invalid"})
HELD_PARTS = (("version", ("revoked", "used")), ("cards_version", ("cards",)))


class GateLink(BackendLink):
    OFFLINE_NOTE = "backend unreachable: checking passes offline"

    def __init__(
        self,
        backend: BackendClient,
        journal: GateJournal,
        clock: Callable[[], datetime],
        on_change: Callable[[], None],
    ):
        super().__init__(backend, journal, clock, on_change)
        self.journal: GateJournal = journal
        self.facts: GateFacts | None = None
        self.gate: dict = {}
        self.synced_at: datetime | None = None  # when the facts held were asked for
        self.clock_offset = timedelta()  # the server's time minus this terminal's, at the last sync
        self._body: dict = {}

    async def load(self) -> None:
        text = await asyncio.to_thread(self.journal.recall, SYNC_MEMO)
        if text:
            self._take(json.loads(text))
        synced = await asyncio.to_thread(self.journal.recall, SYNCED_AT_MEMO)
        self.synced_at = datetime.fromisoformat(synced) if synced else None
        offset = await asyncio.to_thread(self.journal.recall, CLOCK_OFFSET_MEMO)
        self.clock_offset = timedelta(seconds=float(offset)) if offset else timedelta()
        await super().load()

    def server_now(self) -> datetime:
        """The terminal's clock corrected by the offset of the last sync: what offline checks use."""
        return self._clock() + self.clock_offset

    async def _keep_offset(self, response: httpx.Response, body: dict, asked_at: datetime) -> None:
        """The server's time of the answer against the middle of the round trip (the `Date`
        header is to the second, well within a QR time step)."""
        try:
            stamp = body.get("server_time")
            server = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
            if server is None and (header := response.headers.get("date")):
                server = parsedate_to_datetime(header)
            if server is None or server.tzinfo is None:
                return
        except (TypeError, ValueError, IndexError):
            return
        answered_at = self._clock()
        offset = server - (asked_at + (answered_at - asked_at) / 2)
        if abs((offset - self.clock_offset).total_seconds()) >= 1:
            log.info("terminal clock off by %.0f s", offset.total_seconds())
        self.clock_offset = offset
        await asyncio.to_thread(self.journal.remember, CLOCK_OFFSET_MEMO, str(offset.total_seconds()))

    @property
    def version(self) -> str | None:
        """The version of the revocations and used counts held (None before the first sync)."""
        return self._body.get("version")

    def _take(self, body: dict) -> None:
        self.facts, self.gate, self._body = GateFacts.from_sync(body), body["gate"], body

    async def _refresh(self) -> None:
        asked_at = self._clock()
        held = {name: str(self._body[name]) for name, parts in HELD_PARTS if name in self._body}
        response = answered(await self.backend.access_sync(held.get("version", ""), held.get("cards_version", "")))
        if response.status_code != 200:
            # A terminal not bound to a gate: reached, but nothing to check with.
            log.error("gate sync refused: %s %s", response.status_code, response.text[:500])
            return
        body = json_of(response)
        if isinstance(body, dict):
            await self._keep_offset(response, body, asked_at)
        for name, parts in HELD_PARTS:  # left out: what is held is still current
            if body.get(name) == held.get(name):
                body.update({part: self._body[part] for part in parts if part not in body and part in self._body})
        try:
            facts_changed = body != self._body
            if facts_changed:
                GateFacts.from_sync(body)  # refuse what is not the backend's before keeping it
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise Unreachable(f"not gate sync data: {problem!r}") from None
        if facts_changed:
            await asyncio.to_thread(self.journal.remember, SYNC_MEMO, json.dumps(body, ensure_ascii=False))
            self._take(body)
            self._on_change()
        await asyncio.to_thread(self.journal.remember, SYNCED_AT_MEMO, asked_at.isoformat())
        self.synced_at = asked_at

    async def _upload(self) -> None:
        def send(events: list[GateEvent]) -> Awaitable[httpx.Response]:
            return self.backend.access_events([e.upload() for e in events])

        await upload_pending(self.journal, send, "event_no", ACCEPTED_RESULTS, self._clock)
