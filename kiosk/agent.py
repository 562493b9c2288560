"""The kiosk agent: devices in, results on the screen, the backend kept in sync.

One diner at a time: taps and scans are handled in turn. A result goes to the screen as soon as
it is known; the receipt is printed afterwards by its own task, so a slow or broken printer
never holds up the screen (its fault shows in the status and the heartbeat, not to the diner).
The sync loop refreshes the risk parameters, uploads the offline journal and sends a heartbeat
every `heartbeat_seconds` while online; while offline or with entries still to upload it tries
every `retry_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from hardware.printer import ReceiptPrinter
from hardware.readers import InputReader
from hardware.receipt import Receipt
from hardware.status import DeviceStatus
from hardware.uri import card_reader_from_uri, printer_from_uri, scanner_from_uri
from kiosk.backend_client import BackendClient
from kiosk.config import KioskConfig
from kiosk.journal import KEEP_UPLOADED, Journal
from kiosk.offline import FIXED_PRICE
from kiosk.payments import TERMINAL_FAULT, Cashier, receipt_for, refused
from kiosk.screen import Screen
from kiosk.simulation import add_simulator_routes
from kiosk.sync import Link

log = logging.getLogger(__name__)

# How long 查询余额 waits for a card before the screen goes back to paying.
BALANCE_MODE_SECONDS = 20.0
# The idle screen is recomputed this often, so that it follows the meal periods.
IDLE_REFRESH_SECONDS = 15.0


@dataclass
class Devices:
    card_reader: InputReader
    scanner: InputReader | None = None
    printer: ReceiptPrinter | None = None

    @classmethod
    def from_config(cls, config: KioskConfig) -> Devices:
        return cls(
            card_reader=card_reader_from_uri(config.card_reader),
            scanner=scanner_from_uri(config.scanner) if config.scanner else None,
            printer=printer_from_uri(config.printer) if config.printer else None,
        )


def _state(status: DeviceStatus | None) -> str:
    return "none" if status is None else status.state.value


class Agent:
    def __init__(self, config: KioskConfig, devices: Devices, backend: BackendClient | None = None):
        self.config = config
        self.devices = devices
        self.backend = backend or BackendClient(config.backend_url, config.device_code, config.secret)
        self.journal = Journal(config.journal_path)
        self._wake_sync = asyncio.Event()
        self.link = Link(self.backend, self.journal, self.now, self._wake_sync.set)
        self.cashier = Cashier(self.backend, self.journal, self.link,
                               online_deadline=config.online_deadline_ms / 1000, clock=self.now)
        self.screen = Screen(config.host, config.port, snapshot=self.snapshot, status=self.status,
                             on_message=self._page_message)
        add_simulator_routes(self.screen.app, devices.card_reader, devices.scanner, devices.printer)
        self.printer_status: DeviceStatus | None = None
        self._balance_mode_until = 0.0
        self._one_at_a_time = asyncio.Lock()
        self._last_credential: tuple[str, float] = ("", 0.0)
        self._receipts: asyncio.Queue[Receipt] = asyncio.Queue()
        self._last_heartbeat = 0.0
        self._last_snapshot: dict = {}
        self._mode_changed = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    def now(self) -> datetime:
        """The time in the canteen's zone, which the meal periods are in."""
        return datetime.now(self.config.zone)

    async def start(self) -> None:
        await self.link.load()
        await asyncio.to_thread(self.journal.forget_uploaded_before, self.now() - KEEP_UPLOADED)
        if self.devices.printer is not None:
            self.printer_status = await self.devices.printer.status()
        await self.screen.start()
        self._tasks = [asyncio.create_task(self._read(self.devices.card_reader, self.card_tapped)),
                       asyncio.create_task(self._sync_forever()),
                       asyncio.create_task(self._refresh_idle_forever())]
        if self.devices.scanner is not None:
            self._tasks.append(asyncio.create_task(self._read(self.devices.scanner, self.code_scanned)))
        if self.devices.printer is not None:
            self._tasks.append(asyncio.create_task(self._print_forever(self.devices.printer)))
        log.info("kiosk screen at %s", self.screen.url)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.screen.stop()
        await self.devices.card_reader.close()
        if self.devices.scanner is not None:
            await self.devices.scanner.close()
        await self.backend.aclose()
        await asyncio.to_thread(self.journal.close)

    # ---- what the screen and the console see ---------------------------------------------------

    def snapshot(self) -> dict:
        """The idle screen: canteen, current meal period and price, whether offline, the mode."""
        risk = self.link.risk
        period = risk.period_at(self.now()) if risk else None
        return {
            "type": "state",
            "canteen": risk.canteen_name if risk else "",
            "period": {"name": period.name, "price_fen": period.staff_price_fen} if period else None,
            "fixed_price": risk is None or risk.mode == FIXED_PRICE,
            "offline": self.link.online is False,
            "mode": "balance" if self._in_balance_mode() else "pay",
            "result_seconds": self.config.result_seconds,
            "time_zone": self.config.time_zone,
        }

    async def device_status(self) -> dict:
        """The devices and the journal, as sent with the heartbeat."""
        return {
            "reader": _state(self.devices.card_reader.status()),
            "scanner": _state(self.devices.scanner.status() if self.devices.scanner else None),
            "printer": _state(self.printer_status),
            "offline_queue": await asyncio.to_thread(self.journal.pending_count),
            "last_sync": self.link.last_sync.isoformat(timespec="seconds") if self.link.last_sync else None,
            "blacklist_version": self.link.risk.blacklist_version if self.link.risk else None,
        }

    async def status(self) -> dict:
        """The device status and whether the backend answers (served at /api/status)."""
        offline_since = self.link.offline_since
        return {**await self.device_status(), "online": self.link.online,
                "offline_since": offline_since.isoformat(timespec="seconds") if offline_since else None}

    async def _show_state_if_changed(self) -> None:
        snapshot = self.snapshot()
        if snapshot != self._last_snapshot:
            self._last_snapshot = snapshot
            await self.screen.show(snapshot)

    def _in_balance_mode(self) -> bool:
        return time.monotonic() < self._balance_mode_until

    async def _page_message(self, message: dict) -> None:
        if message.get("type") == "balance_mode":
            self._balance_mode_until = time.monotonic() + BALANCE_MODE_SECONDS
        elif message.get("type") == "pay_mode":
            self._balance_mode_until = 0.0
        self._mode_changed.set()
        await self._show_state_if_changed()

    # ---- taps and scans ----------------------------------------------------------------------

    async def _read(self, reader: InputReader, handle) -> None:
        while True:
            await handle(await reader.read())

    def _repeated(self, credential: str) -> bool:
        """A card resting on the reader is read again and again: that is not another payment."""
        last, at = self._last_credential
        moment = time.monotonic()
        self._last_credential = (credential, moment)
        return credential == last and moment - at < self.config.repeat_ignore_seconds

    async def card_tapped(self, card_uid: str) -> None:
        async with self._one_at_a_time:
            if self._repeated(card_uid):
                return
            if self._in_balance_mode():
                self._balance_mode_until = 0.0
                await self._show(self.cashier.balance(card_uid))
            else:
                await self._show(self.cashier.pay_by_card(card_uid))

    async def code_scanned(self, pay_code: str) -> None:
        async with self._one_at_a_time:
            if not self._repeated(pay_code):
                await self._show(self.cashier.pay_by_code(pay_code))

    async def _show(self, taking) -> None:
        try:
            result = await taking
        except Exception:
            # One tap must not stop the terminal: the diner is told, staff find it in the log.
            log.exception("tap failed")
            result = refused(TERMINAL_FAULT, "kiosk.terminal_fault")
        await self.screen.show({"type": "result", **result})
        await self._show_state_if_changed()
        if result["kind"] == "paid" and self.devices.printer is not None:
            canteen = self.link.risk.canteen_name if self.link.risk else ""
            self._receipts.put_nowait(receipt_for(result, canteen, self.now()))

    async def _print_forever(self, printer: ReceiptPrinter) -> None:
        while True:
            receipt = await self._receipts.get()
            outcome = await printer.print_receipt(receipt)
            self.printer_status = outcome.status
            if not outcome.printed:
                log.warning("receipt %s not printed: %s", receipt.transaction_no, outcome.status)

    # ---- keeping in step with the backend ----------------------------------------------------

    async def _sync_forever(self) -> None:
        while True:
            heartbeat_due = time.monotonic() - self._last_heartbeat >= self.config.heartbeat_seconds
            reached = await self.link.sync_once(self._heartbeat_status if heartbeat_due else None)
            if reached and heartbeat_due:
                self._last_heartbeat = time.monotonic()
            await self._show_state_if_changed()
            settled = reached and not await asyncio.to_thread(self.journal.pending_count)
            self._wake_sync.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake_sync.wait(),
                                       self.config.heartbeat_seconds if settled else self.config.retry_seconds)

    async def _heartbeat_status(self) -> dict:
        if self.devices.printer is not None:  # asked now: paper runs out between receipts too
            self.printer_status = await self.devices.printer.status()
        return await self.device_status()

    async def _refresh_idle_forever(self) -> None:
        """Keep the idle screen true: a new meal period, and the end of 查询余额 on time (a tap
        after it pays, so the screen must not still be asking for a card to check)."""
        while True:
            balance_mode_left = self._balance_mode_until - time.monotonic()
            wait = balance_mode_left if 0 < balance_mode_left < IDLE_REFRESH_SECONDS else IDLE_REFRESH_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mode_changed.wait(), wait)
            self._mode_changed.clear()
            await self._show_state_if_changed()
