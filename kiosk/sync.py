"""The agent's link to the backend: whether it answers, what it last said, and the journal upload.

`BackendLink` knows whether the backend is reachable (unknown until the first contact) and runs
the sync; the canteen's `Link` keeps the risk
parameters last received (remembered in the journal, so a terminal restarted while offline still
has its blacklist, limits and card categories), and in `sync_once` refreshes them, uploads the
offline journal and sends the heartbeat. The card categories, which can run to thousands of
UIDs and rarely change, are asked for by the version held and kept while the backend leaves
them out. A timeout, a refused connection or a server error (5xx) counts as
"the backend cannot be reached"; any other answer means it can.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib.metadata import version
from typing import Any, Protocol

import httpx

from kiosk.backend_client import BackendClient
from kiosk.journal import Journal, JournalEntry
from kiosk.offline import RiskParameters

log = logging.getLogger(__name__)

APP_VERSION = version("houqin")
BATCH_SIZE = 200  # the backend's limit per upload
# Every answer the backend gives an uploaded entry means it has recorded it (applied, already
# known, kept for review, a voided entry noted): only then is the entry done. Anything else is uploaded again.
ACCEPTED_RESULTS = frozenset({"applied", "duplicate", "held_for_review", "recorded_unknown_card", "voided"})
RISK_MEMO = "risk_parameters"
LAST_SYNC_MEMO = "last_sync"


class Unreachable(Exception):
    """The backend did not answer, or failed with a server error."""


def answered(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 500:
        raise Unreachable(f"backend answered {response.status_code}")
    return response


def json_of(response: httpx.Response) -> dict:
    """The body of a 200 answer; a body that is not the backend's (a captive portal's page)
    means the backend was not reached."""
    try:
        body = response.json()
    except ValueError:
        raise Unreachable(f"not the backend's answer: {response.text[:200]!r}") from None
    if not isinstance(body, dict):
        raise Unreachable(f"not the backend's answer: {response.text[:200]!r}")
    return body


class UploadingStore(Protocol):
    """A terminal's journal as the link uses it: entries waiting for the backend, and memos."""

    def pending(self, limit: int) -> list[Any]: ...

    def pending_count(self) -> int: ...

    def mark_uploaded(self, results: dict[str, str], at: datetime) -> int: ...

    def recall(self, key: str) -> str | None: ...

    def remember(self, key: str, value: str) -> None: ...


async def upload_pending(
    journal: UploadingStore,
    send: Callable[[list], Awaitable[httpx.Response]],
    key: str,
    accepted_results: frozenset[str],
    clock: Callable[[], datetime],
    batch_size: int = BATCH_SIZE,
) -> int:
    """Upload a journal's pending entries oldest first, `batch_size` at a time (`send` posts a
    batch), marking each entry once the backend has accepted it (its `key` and a result in
    `accepted_results`); returns how many were marked. Stops at a batch that is not wholly
    accepted: what is left is tried again at the next sync, still in order.

    Raises Unreachable (or an httpx error) when the backend cannot be reached."""
    marked = 0
    while entries := await asyncio.to_thread(journal.pending, batch_size):
        response = answered(await send(entries))
        if response.status_code != 200:
            log.error("journal upload refused: %s %s", response.status_code, response.text[:500])
            return marked
        sent = {getattr(e, key) for e in entries}
        accepted = {
            r[key]: r["result"]
            for r in json_of(response).get("results", [])
            if r.get(key) in sent and r.get("result") in accepted_results
        }
        marked += await asyncio.to_thread(journal.mark_uploaded, accepted, clock())
        if len(accepted) < len(entries):
            log.warning("journal upload: %d of %d entries accepted", len(accepted), len(entries))
            return marked
    return marked


async def upload_journal(
    backend: BackendClient, journal: Journal, clock: Callable[[], datetime], batch_size: int = BATCH_SIZE
) -> int:
    """Upload the canteen's offline journal (see upload_pending)."""

    def send(entries: list[JournalEntry]) -> Awaitable[httpx.Response]:
        return backend.upload_offline(
            [
                {
                    "txn_no": e.txn_no,
                    "card_uid": e.card_uid,
                    "amount_fen": e.amount_fen,
                    "paid_at": e.paid_at.isoformat(),
                    **({"voided": True} if e.voided else {}),
                }
                for e in entries
            ]
        )

    return await upload_pending(journal, send, "txn_no", ACCEPTED_RESULTS, clock, batch_size)


class BackendLink:
    """Whether the backend answers (unknown until the first contact) and when it was last synced;
    `sync_once` refreshes what the terminal keeps (`_refresh`), uploads its journal (`_upload`)
    and sends the heartbeat. The canteen's `Link` and the gate's `GateLink` say what they keep."""

    # What the terminal does while the backend cannot be reached, for the log.
    OFFLINE_NOTE = "backend unreachable"

    def __init__(
        self,
        backend: BackendClient,
        journal: UploadingStore,
        clock: Callable[[], datetime],
        on_change: Callable[[], None],
    ):
        self.backend = backend
        self.journal = journal
        self._clock = clock
        self._on_change = on_change
        self.online: bool | None = None
        self.offline_since: datetime | None = None
        self.last_sync: datetime | None = None

    async def load(self) -> None:
        """What was remembered before a restart."""
        synced = await asyncio.to_thread(self.journal.recall, LAST_SYNC_MEMO)
        self.last_sync = datetime.fromisoformat(synced) if synced else None

    def reached(self) -> None:
        if self.online is not True:
            self.online, self.offline_since = True, None
            self._on_change()

    def lost(self) -> None:
        if self.online is not False:
            self.online, self.offline_since = False, self._clock()
            log.warning(self.OFFLINE_NOTE)
            self._on_change()

    async def _refresh(self) -> None:
        raise NotImplementedError

    async def _upload(self) -> None:
        raise NotImplementedError

    async def keep_in_step(
        self,
        wake: asyncio.Event,
        heartbeat_status: Callable[[], Awaitable[dict]],
        after_each: Callable[[], Awaitable[None]],
        *,
        heartbeat_seconds: float,
        retry_seconds: float,
    ) -> None:
        """Sync for ever: every `heartbeat_seconds` (with the heartbeat) while online with nothing
        left to upload, every `retry_seconds` while offline or with entries still to upload, and
        at once when `wake` is set; `after_each` runs after every attempt."""
        last_heartbeat = 0.0
        while True:
            heartbeat_due = time.monotonic() - last_heartbeat >= heartbeat_seconds
            reached = await self.sync_once(heartbeat_status if heartbeat_due else None)
            if reached and heartbeat_due:
                last_heartbeat = time.monotonic()
            await after_each()
            settled = reached and not await asyncio.to_thread(self.journal.pending_count)
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), heartbeat_seconds if settled else retry_seconds)

    async def sync_once(self, heartbeat_status: Callable[[], Awaitable[dict]] | None = None) -> bool:
        """Refresh what the terminal keeps, upload the journal and (given a way to get the device
        status) send the heartbeat; False when the backend could not be reached."""
        try:
            await self._refresh()
            self.reached()
            await self._upload()
            self.last_sync = self._clock()
            await asyncio.to_thread(self.journal.remember, LAST_SYNC_MEMO, self.last_sync.isoformat())
            if heartbeat_status is not None:
                answered(await self.backend.heartbeat(APP_VERSION, await heartbeat_status()))
        except (httpx.HTTPError, Unreachable) as problem:
            log.info("sync failed: %r", problem)
            self.lost()
            return False
        return True


class Link(BackendLink):
    OFFLINE_NOTE = "backend unreachable: taking card payments offline"

    def __init__(
        self, backend: BackendClient, journal: Journal, clock: Callable[[], datetime], on_change: Callable[[], None]
    ):
        super().__init__(backend, journal, clock, on_change)
        self.journal: Journal = journal
        self.risk: RiskParameters | None = None
        self._risk_body: dict = {}  # what `risk` was made from, card categories included

    async def load(self) -> None:
        text = await asyncio.to_thread(self.journal.recall, RISK_MEMO)
        if text:
            body = json.loads(text)
            self.risk, self._risk_body = RiskParameters.from_backend(body), body
        await super().load()

    async def _risk_body_from_backend(self, categories_version: str) -> dict | None:
        response = answered(await self.backend.risk(categories_version))
        if response.status_code != 200:
            log.error("risk parameters refused: %s %s", response.status_code, response.text[:500])
            return None
        return json_of(response)

    async def _refresh(self) -> None:
        held = str(self._risk_body.get("card_categories_version", "")) if "card_categories" in self._risk_body else ""
        body = await self._risk_body_from_backend(held)
        if body is not None and "card_categories" not in body and "card_categories_version" in body:
            if held and body["card_categories_version"] == held:  # unchanged: the ones held still hold
                body["card_categories"] = self._risk_body["card_categories"]
            else:
                body = await self._risk_body_from_backend("")
        if body is None or body == self._risk_body:
            return
        try:
            risk = RiskParameters.from_backend(body)
        except (KeyError, TypeError, ValueError, AttributeError) as problem:
            raise Unreachable(f"not risk parameters: {problem!r}") from None
        await asyncio.to_thread(self.journal.remember, RISK_MEMO, json.dumps(body, ensure_ascii=False))
        self.risk, self._risk_body = risk, body
        self._on_change()

    async def _upload(self) -> None:
        await upload_journal(self.backend, self.journal, self._clock)
