"""The gate terminal (门禁终端): the kiosk agent in gate mode (KIOSK_MODE=gate).

A pass QR on the scanner or a staff card on the reader is checked online (`/device/v1/access/scan`
or `/card`, answered within `online_deadline_ms`); when the backend cannot be reached it is
decided offline from the last sync and the terminal's own journal (kiosk.gate_pass). Every
decision is journalled before anything else happens (kiosk.gate_journal), then the screen shows
it (gate.html: greeting or the reason in words) and an allowed one pulses the gate relay. The
relay is pulsed by its own task, so the screen never waits for it; a relay that does not answer
is a device status on the screen for staff and in the heartbeat, never a crash. An online attempt
that got no answer is decided offline under the same event number: if the backend had booked it
after all, the upload comes back duplicate.

Screen events (kiosk.screen's WebSocket):
    {"type": "state", "gate", "offline", "relay": {"state", "message"}, "result_seconds"}
    {"type": "result", "kind": "pass"|"card", "allowed", "reason", "message", "greeting", "offline"}
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from hardware.readers import InputReader
from hardware.relay import GateRelay
from hardware.status import OK, DeviceStatus
from hardware.uri import card_reader_from_uri, gate_relay_from_uri, scanner_from_uri
from kiosk.backend_client import BackendClient
from kiosk.config import KioskConfig
from kiosk.gate_journal import GateEvent, GateJournal
from kiosk.gate_pass import Decision, GateFacts, card_hash, decide_card, decide_pass, pass_id_of
from kiosk.gate_sync import GateLink
from kiosk.payments import new_txn_no
from kiosk.screen import Screen
from kiosk.simulation import add_simulator_routes
from kiosk.sync import Unreachable, answered, json_of

log = logging.getLogger(__name__)

# Before the first sync there is nothing to check a pass against offline.
NOT_SYNCED = "网络中断，本机尚未取得核验数据，请到门岗登记"
TERMINAL_FAULT = "本机暂时无法核验，请到门岗登记"
GATE_NOT_BOUND = "本设备未绑定门禁点，请联系保卫部门"
UNREADABLE = "无法识别，请重新扫码"
MAX_TOKEN = 1000


@dataclass
class GateDevices:
    card_reader: InputReader
    scanner: InputReader
    relay: GateRelay

    @classmethod
    def from_config(cls, config: KioskConfig) -> GateDevices:
        return cls(
            card_reader=card_reader_from_uri(config.card_reader),
            scanner=scanner_from_uri(config.scanner),
            relay=gate_relay_from_uri(config.relay),
        )


def _refused(reason: str, message: str) -> Decision:
    return Decision(False, reason, message)


class GateAgent:
    def __init__(self, config: KioskConfig, devices: GateDevices, backend: BackendClient | None = None):
        self.config = config
        self.devices = devices
        self.backend = backend or BackendClient(config.backend_url, config.device_code, config.secret)
        self.journal = GateJournal(config.journal_path)
        self._wake_sync = asyncio.Event()
        self.link = GateLink(self.backend, self.journal, self.now, self._link_changed)
        self.screen = Screen(
            config.host,
            config.port,
            snapshot=self.snapshot,
            status=self.status,
            on_message=self._page_message,
            page="gate.html",
        )
        add_simulator_routes(self.screen.app, devices.card_reader, devices.scanner, None)
        self.relay_status: DeviceStatus = OK
        self._one_at_a_time = asyncio.Lock()
        self._last_credential: tuple[str, float] = ("", 0.0)
        self._last_snapshot: dict = {}
        self._pulses: set[asyncio.Task] = set()
        self._tasks: list[asyncio.Task] = []
        self.on_decision: Callable[[Decision], None] | None = None

    def now(self) -> datetime:
        return datetime.now(self.config.zone)

    async def start(self) -> None:
        await self.link.load()
        self.relay_status = await self.devices.relay.status()
        await self.screen.start()
        self._tasks = [
            asyncio.create_task(self._read(self.devices.scanner, self.pass_scanned)),
            asyncio.create_task(self._read(self.devices.card_reader, self.card_tapped)),
            asyncio.create_task(self._sync_forever()),
        ]
        log.info("gate screen at %s", self.screen.url)

    async def stop(self) -> None:
        for task in [*self._tasks, *self._pulses]:
            task.cancel()
        for task in [*self._tasks, *self._pulses]:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.screen.stop()
        await self.devices.card_reader.close()
        await self.devices.scanner.close()
        await self.devices.relay.close()
        await self.backend.aclose()
        await asyncio.to_thread(self.journal.close)

    # ---- what the screen and the console see ---------------------------------------------------

    def snapshot(self) -> dict:
        return {
            "type": "state",
            "gate": self.link.gate.get("name", ""),
            "offline": self.link.online is False,
            "relay": {"state": self.relay_status.state.value, "message": self.relay_status.message},
            "result_seconds": self.config.result_seconds,
        }

    async def device_status(self) -> dict:
        """The devices and the journal, as sent with the heartbeat."""
        return {
            "reader": self.devices.card_reader.status().state.value,
            "scanner": self.devices.scanner.status().state.value,
            "relay": self.relay_status.state.value,
            "relay_message": self.relay_status.message,
            "offline_queue": await asyncio.to_thread(self.journal.pending_count),
            "last_sync": self.link.last_sync.isoformat(timespec="seconds") if self.link.last_sync else None,
            "gate": self.link.gate.get("code"),
            "sync_version": self.link.version,
        }

    async def status(self) -> dict:
        offline_since = self.link.offline_since
        return {
            **await self.device_status(),
            "online": self.link.online,
            "synced": self.link.facts is not None,
            "offline_since": offline_since.isoformat(timespec="seconds") if offline_since else None,
        }

    async def _show_state_if_changed(self) -> None:
        snapshot = self.snapshot()
        if snapshot != self._last_snapshot:
            self._last_snapshot = snapshot
            await self.screen.show(snapshot)

    async def _page_message(self, message: dict) -> None:
        """The gate screen has no buttons: nothing the page sends is acted on."""

    # ---- a pass or a card ------------------------------------------------------------------------

    async def _read(self, reader: InputReader, handle: Callable[[str], Awaitable[Decision]]) -> None:
        while True:
            value = await reader.read()
            last, at = self._last_credential
            if value == last and time.monotonic() - at < self.config.repeat_ignore_seconds:
                continue  # the reader repeating itself, not a second person
            self._last_credential = (value, time.monotonic())
            async with self._one_at_a_time:
                await handle(value)

    async def pass_scanned(self, token: str) -> Decision:
        if not token or len(token) > MAX_TOKEN:
            return await self._shown("pass", _refused("kiosk.unreadable_code", UNREADABLE), False)
        return await self._decide(
            GateEvent(new_txn_no(self.now()), "pass", token, False, "", self.now(), pass_id_of(token)),
            lambda event_no: self.backend.access_scan(event_no, token),
            lambda facts: self._offline_pass(facts, token),
        )

    async def card_tapped(self, card_uid: str) -> Decision:
        card = card_hash(card_uid)
        return await self._decide(
            GateEvent(new_txn_no(self.now()), "card", card, False, "", self.now()),
            lambda event_no: self.backend.access_card(event_no, card_uid),
            lambda facts: self._offline_card(facts, card),
        )

    async def _offline_pass(self, facts: GateFacts, token: str) -> Decision:
        pass_id = pass_id_of(token)
        let_in = await asyncio.to_thread(self.journal.entries_since, pass_id, self.link.synced_at) if pass_id else 0
        # The terminal's clock corrected by the server's time at the last sync.
        return decide_pass(facts, token, self.link.server_now(), let_in)

    async def _offline_card(self, facts: GateFacts, card: str) -> Decision:
        let_in = await asyncio.to_thread(self.journal.card_entries_since, card, self.link.synced_at)
        return decide_card(facts, card, let_in)

    async def _decide(
        self,
        event: GateEvent,
        online: Callable[[str], Awaitable[httpx.Response]],
        offline: Callable[[GateFacts], Awaitable[Decision]],
    ) -> Decision:
        try:
            decision = await self._ask_online(event, online)
            decided_online = decision is not None
            if decision is None:
                if self.link.facts is None:
                    return await self._shown(event.kind, _refused("kiosk.not_synced", NOT_SYNCED), True)
                decision = await offline(self.link.facts)
            decision = Decision(decision.allowed, decision.reason, decision.message, decision.greeting, event.pass_id)
            # On disk before the gate opens: a crash now loses no entry the gate let through.
            await asyncio.to_thread(
                self.journal.append,
                GateEvent(
                    event.event_no,
                    event.kind,
                    event.credential,
                    decision.allowed,
                    decision.reason,
                    self.now(),
                    event.pass_id,
                ),
                online=decided_online,
            )
        except Exception:
            # One scan must not stop the gate: the visitor is sent to the guard, the log says why.
            log.exception("gate decision failed")
            return await self._shown(event.kind, _refused("kiosk.terminal_fault", TERMINAL_FAULT), False)
        if decision.allowed:
            pulse = asyncio.create_task(self._pulse())
            self._pulses.add(pulse)
            pulse.add_done_callback(self._pulses.discard)
        return await self._shown(event.kind, decision, not decided_online)

    async def _ask_online(
        self, event: GateEvent, online: Callable[[str], Awaitable[httpx.Response]]
    ) -> Decision | None:
        """The backend's decision, or None when it cannot be reached in time."""
        if self.link.online is False:
            return None  # the sync loop tells when it is back; a scan must not wait for a dead link
        try:
            response = answered(await asyncio.wait_for(online(event.event_no), self.config.online_deadline_ms / 1000))
            if (
                response.status_code == 403
                and json_of(response).get("error", {}).get("code") == "access.not_a_gate_terminal"
            ):
                return _refused("access.not_a_gate_terminal", GATE_NOT_BOUND)
            if response.status_code != 200:
                log.error("gate check refused: %s %s", response.status_code, response.text[:300])
                return _refused("kiosk.terminal_fault", TERMINAL_FAULT)
            return Decision.from_backend(json_of(response))
        except (httpx.HTTPError, TimeoutError, Unreachable, KeyError, TypeError) as problem:
            log.info("online check failed, deciding offline: %r", problem)
            self.link.lost()
            return None

    async def _shown(self, kind: str, decision: Decision, offline: bool) -> Decision:
        await self.screen.show({"type": "result", "kind": kind, **decision.view(), "offline": offline})
        await self._show_state_if_changed()
        if self.on_decision is not None:
            self.on_decision(decision)
        return decision

    async def _pulse(self) -> None:
        status = await self.devices.relay.open_gate()
        if status != self.relay_status:
            if not status.usable:
                log.warning("gate relay: %s", status.message)
            self.relay_status = status
            await self._show_state_if_changed()

    # ---- keeping in step with the backend --------------------------------------------------------

    async def _sync_forever(self) -> None:
        await self.link.keep_in_step(
            self._wake_sync,
            self._heartbeat_status,
            self._show_state_if_changed,
            heartbeat_seconds=self.config.heartbeat_seconds,
            retry_seconds=self.config.retry_seconds,
        )

    async def _heartbeat_status(self) -> dict:
        # Asked now: a relay board can fail between openings too.
        self.relay_status = await self.devices.relay.status()
        return await self.device_status()

    def _link_changed(self) -> None:
        self._wake_sync.set()
