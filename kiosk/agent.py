"""The kiosk agent: devices in, results on the screen, the backend kept in sync.

One diner at a time: taps and scans are handled in turn. A result goes to the screen as soon as
it is known; the receipt is printed afterwards by its own task, so a slow or broken printer
never holds up the screen (its fault shows in the status and the heartbeat, not to the diner).
The sync loop refreshes the risk parameters, uploads the offline journal and sends a heartbeat
every `heartbeat_seconds` while online; while offline or with entries still to upload it tries
every `retry_seconds`.

The terminal's mode (from the risk parameters) decides what a tap pays. Fixed price: the meal
period's price, nothing to key. Free amount: staff key the amount on the screen and confirm it;
menu: the dishes of the current meal (fetched with the idle refresh) are chosen on the screen
and confirmed. The confirmed order (kiosk.orders, checked here whatever the page checked) is
what the next tap or scan pays; it is dropped after that tap's result, after ORDER_SECONDS, or
on 取消. A tap with no order is told to wait for one. Neither mode takes payments offline.

Staff may switch any terminal to pickup mode (取货核销, kiosk.pickup): the scanner's reads then
look up shop orders instead of paying, a card tap is told the terminal is not taking payments,
and 返回收款 (or MODE_SECONDS untouched) brings it back.
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

from hardware.printer import PrintResult, ReceiptPrinter
from hardware.readers import InputReader
from hardware.receipt import Receipt
from hardware.status import DeviceStatus
from hardware.uri import card_reader_from_uri, printer_from_uri, scanner_from_uri
from kiosk.backend_client import BackendClient
from kiosk.config import KioskConfig
from kiosk.journal import KEEP_UPLOADED, Journal
from kiosk.offline import (
    CATEGORY_NAMES,
    FIXED_PRICE,
    FREE_AMOUNT,
    MAX_AMOUNT_FEN,
    MENU,
    NOT_FIXED_PRICE,
    NOT_READY,
    OUTSIDE_MEAL_PERIOD,
    STAFF,
    MealPeriod,
)
from kiosk.orders import Menu, Order, OrderRefused, amount_order, menu_order
from kiosk.payments import TERMINAL_FAULT, Cashier, receipt_for, refused
from kiosk.pickup import CARD_IN_PICKUP, PICKUP_FAULT, REFUSED, PickupDesk, pickup_result
from kiosk.screen import Screen
from kiosk.simulation import add_simulator_routes
from kiosk.sync import Link, Unreachable, answered, json_of

log = logging.getLogger(__name__)

# How long 查询余额 waits for a card before the screen goes back to paying.
BALANCE_MODE_SECONDS = 20.0
# The idle screen is recomputed this often, so that it follows the meal periods; a menu
# terminal fetches its menu as often.
IDLE_REFRESH_SECONDS = 15.0
MENU_DEADLINE_SECONDS = 5.0

# A tap at a free-amount or menu terminal before an order was confirmed.
AMOUNT_FIRST = "请工作人员先输入金额并确认，再刷卡或扫码"
DISHES_FIRST = "请先选择菜品并确认，再刷卡或扫码"
NOT_FREE_AMOUNT = "本机不是自由金额终端"
NOT_MENU = "本机不是菜品消费终端"
MENU_NOT_READY = "菜单正在更新，请稍候再确认"
# Results after which an order stands: nothing was asked of the backend.
UNREAD = frozenset({"kiosk.unreadable_card", "kiosk.unreadable_code"})


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
    def __init__(
        self,
        config: KioskConfig,
        devices: Devices,
        backend: BackendClient | None = None,
        *,
        on_receipt: Callable[[Receipt, PrintResult], None] | None = None,
    ):
        """`on_receipt` is told each receipt and its outcome once the printer has been tried."""
        self.config = config
        self.devices = devices
        self.backend = backend or BackendClient(config.backend_url, config.device_code, config.secret)
        self.journal = Journal(config.journal_path)
        self._wake_sync = asyncio.Event()
        self._menu_wanted = asyncio.Event()
        self.link = Link(self.backend, self.journal, self.now, self._link_changed)
        self.cashier = Cashier(
            self.backend, self.journal, self.link, online_deadline=config.online_deadline_ms / 1000, clock=self.now
        )
        self.pickup = PickupDesk(self.backend, self.link, deadline=config.online_deadline_ms / 1000)
        self.screen = Screen(
            config.host, config.port, snapshot=self.snapshot, status=self.status, on_message=self._page_message
        )
        add_simulator_routes(self.screen.app, devices.card_reader, devices.scanner, devices.printer)
        self.printer_status: DeviceStatus | None = None
        self._balance_mode_until = 0.0
        self._one_at_a_time = asyncio.Lock()
        self._last_credential: tuple[str, float] = ("", 0.0)
        self._receipts: asyncio.Queue[Receipt] = asyncio.Queue()
        self._on_receipt = on_receipt
        self._last_snapshot: dict = {}
        self._mode_changed = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.menu: Menu | None = None
        self._order: Order | None = None

    def now(self) -> datetime:
        """The time in the canteen's zone, which the meal periods are in."""
        return datetime.now(self.config.zone)

    async def start(self) -> None:
        await self.link.load()
        await asyncio.to_thread(self.journal.forget_uploaded_before, self.now() - KEEP_UPLOADED)
        if self.devices.printer is not None:
            self.printer_status = await self.devices.printer.status()
        await self.screen.start()
        self._tasks = [
            asyncio.create_task(self._read(self.devices.card_reader, self.card_tapped)),
            asyncio.create_task(self._sync_forever()),
            asyncio.create_task(self._refresh_idle_forever()),
            asyncio.create_task(self._menu_forever()),
        ]
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

    def terminal_mode(self) -> str:
        """fixed_price, free_amount or menu; a terminal that has not yet heard from the backend
        works as a fixed-price one (the backend decides what a tap then pays)."""
        return self.link.risk.mode if self.link.risk else FIXED_PRICE

    def snapshot(self) -> dict:
        """The idle screen: canteen, current meal period and price (or the menu), whether
        offline, the terminal's mode and the order waiting for a tap."""
        risk = self.link.risk
        period = risk.period_at(self.now()) if risk else None
        mode = self.terminal_mode()
        order = self._current_order()
        shown_period = None
        if period:
            others = [
                {"category": CATEGORY_NAMES.get(c, c), "price_fen": price}
                for c, price in sorted(period.prices.items())
                if c != STAFF
            ]
            shown_period = {"name": period.name, "price_fen": period.staff_price_fen, "other_prices": others}
        return {
            "type": "state",
            "canteen": risk.canteen_name if risk else "",
            "period": shown_period,
            "terminal_mode": mode,
            "fixed_price": mode == FIXED_PRICE,
            "offline": self.link.online is False,
            "mode": "pickup" if self.pickup.active else "balance" if self._in_balance_mode() else "pay",
            "result_seconds": self.config.result_seconds,
            "time_zone": self.config.time_zone,
            "max_amount_fen": risk.max_payment_fen if risk else MAX_AMOUNT_FEN,
            "menu": menu.view() if mode == MENU and (menu := self._current_menu(period)) else None,
            "order": order.view() if order else None,
        }

    def _current_menu(self, period: MealPeriod | None) -> Menu | None:
        """The menu fetched, if it is the meal period's under way (`period`)."""
        if self.menu is None or period is None or self.menu.period_code != period.code:
            return None
        return self.menu

    def _current_order(self) -> Order | None:
        """The order waiting for a tap; one that timed out, or that the terminal's mode no
        longer takes, is dropped."""
        order, mode = self._order, self.terminal_mode()
        if order is not None and (order.expired() or mode != (MENU if order.items else FREE_AMOUNT)):
            self._order = order = None
        return order

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
        return {
            **await self.device_status(),
            "online": self.link.online,
            "offline_since": offline_since.isoformat(timespec="seconds") if offline_since else None,
        }

    async def _show_state_if_changed(self) -> None:
        snapshot = self.snapshot()
        if snapshot != self._last_snapshot:
            self._last_snapshot = snapshot
            await self.screen.show(snapshot)

    def _in_balance_mode(self) -> bool:
        return time.monotonic() < self._balance_mode_until

    async def _page_message(self, message: dict) -> None:
        """A touch on the screen. Orders are checked here: the page's own checks are for
        the person at it, not a guarantee."""
        kind = message.get("type")
        if kind == "balance_mode":
            self.pickup.leave()
            self._balance_mode_until = time.monotonic() + BALANCE_MODE_SECONDS
        elif kind == "pay_mode":
            self._balance_mode_until = 0.0
            self.pickup.leave()
        elif kind == "pickup_mode":
            self._balance_mode_until = 0.0
            self._order = None
            self.pickup.enter()
        elif kind == "pickup_confirm":
            async with self._one_at_a_time:
                await self._show_pickup(self.pickup.confirm(message.get("order_no")))
        elif kind == "pickup_cancel":
            self.pickup.shown = None
        elif kind in ("amount", "items"):
            try:
                self._order = self._accepted_order(message)
            except OrderRefused as refusal:
                await self.screen.show({"type": "entry_refused", "message": refusal.message})
        elif kind == "cancel_order":
            self._order = None
        else:
            return
        self._mode_changed.set()
        await self._show_state_if_changed()

    def _accepted_order(self, message: dict) -> Order:
        risk, mode = self.link.risk, self.terminal_mode()
        if risk is None:
            raise OrderRefused(NOT_READY)
        if self.link.online is False:
            raise OrderRefused(NOT_FIXED_PRICE)
        period = risk.period_at(self.now())
        if period is None:
            raise OrderRefused(OUTSIDE_MEAL_PERIOD)
        if message["type"] == "amount":
            if mode != FREE_AMOUNT:
                raise OrderRefused(NOT_FREE_AMOUNT)
            return amount_order(message, risk.max_payment_fen)
        if mode != MENU:
            raise OrderRefused(NOT_MENU)
        menu = self._current_menu(period)
        if menu is None:
            self._menu_wanted.set()
            raise OrderRefused(MENU_NOT_READY)
        return menu_order(message, menu, risk.max_payment_fen)

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
            if self.pickup.active:
                await self.screen.show(pickup_result(REFUSED, CARD_IN_PICKUP))
            elif self._in_balance_mode():
                self._balance_mode_until = 0.0
                await self._show(self.cashier.balance(card_uid))
            else:
                await self._pay(lambda order: self.cashier.pay_by_card(card_uid, order))

    async def code_scanned(self, pay_code: str) -> None:
        async with self._one_at_a_time:
            if self._repeated(pay_code):
                return
            if self.pickup.active:
                await self._show_pickup(self.pickup.scanned(pay_code))
            else:
                await self._pay(lambda order: self.cashier.pay_by_code(pay_code, order))

    async def _show_pickup(self, asking: Awaitable[dict]) -> None:
        try:
            event = await asking
        except Exception:
            # One scan must not stop the terminal: staff are told, the log says why.
            log.exception("pickup failed")
            event = pickup_result(REFUSED, PICKUP_FAULT)
        await self.screen.show(event)
        await self._show_state_if_changed()

    async def _pay(self, paying: Callable[[Order | None], Awaitable[dict]]) -> None:
        """A tap or scan that pays: at a free-amount or menu terminal, the order waiting for it,
        taken now so that it pays once, whatever is touched while the backend answers."""
        mode = self.terminal_mode()
        if mode == FIXED_PRICE:
            await self._show(paying(None))
            return
        order, self._order = self._current_order(), None
        if order is None and self.link.online is not False:
            await self._show(
                _ready(refused(AMOUNT_FIRST if mode == FREE_AMOUNT else DISHES_FIRST, "kiosk.order_required"))
            )
            return
        # Offline, the cashier refuses in words whatever the order: such a terminal only pays online.
        result = await self._show(paying(order))
        if result["kind"] == "refused" and result["code"] in UNREAD and self._order is None:
            self._order = order  # a misread card: nothing was asked, the order still stands
            await self._show_state_if_changed()

    async def _show(self, taking: Awaitable[dict]) -> dict:
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
        return result

    async def _print_forever(self, printer: ReceiptPrinter) -> None:
        while True:
            receipt = await self._receipts.get()
            outcome = await printer.print_receipt(receipt)
            self.printer_status = outcome.status
            if not outcome.printed:
                log.warning("receipt %s not printed: %s", receipt.transaction_no, outcome.status)
            if self._on_receipt is not None:
                self._on_receipt(receipt, outcome)

    # ---- keeping in step with the backend ----------------------------------------------------

    async def _sync_forever(self) -> None:
        await self.link.keep_in_step(
            self._wake_sync,
            self._heartbeat_status,
            self._show_state_if_changed,
            heartbeat_seconds=self.config.heartbeat_seconds,
            retry_seconds=self.config.retry_seconds,
        )

    async def _heartbeat_status(self) -> dict:
        if self.devices.printer is not None:  # asked now: paper runs out between receipts too
            self.printer_status = await self.devices.printer.status()
        return await self.device_status()

    def _link_changed(self) -> None:
        """The backend reached or lost, or new risk parameters (perhaps a new mode)."""
        self._wake_sync.set()
        self._menu_wanted.set()

    async def _menu_forever(self) -> None:
        """A menu terminal's menu, fetched with the idle refresh (and at once when the terminal
        becomes one, or the backend is back); a failed fetch keeps the menu there was."""
        while True:
            if self.terminal_mode() == MENU and self.link.online is not False:
                await self._refresh_menu()
            self._menu_wanted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._menu_wanted.wait(), IDLE_REFRESH_SECONDS)

    async def _refresh_menu(self) -> None:
        try:
            response = answered(await asyncio.wait_for(self.backend.menu(), MENU_DEADLINE_SECONDS))
            if response.status_code != 200:
                log.error("menu refused: %s %s", response.status_code, response.text[:500])
                return
            menu = Menu.from_backend(json_of(response))
        except (httpx.HTTPError, TimeoutError, Unreachable, KeyError, TypeError, ValueError) as problem:
            log.info("menu not fetched: %r", problem)
            return
        if menu != self.menu:
            self.menu = menu
            await self._show_state_if_changed()

    async def _refresh_idle_forever(self) -> None:
        """Keep the idle screen true: a new meal period, and the end of 查询余额 and of an order
        waiting for a tap on time (a tap after it must not pay what the screen no longer shows)."""
        while True:
            wait = IDLE_REFRESH_SECONDS
            ends = [self._balance_mode_until - time.monotonic(), self.pickup.mode_ends_in()]
            if self._order is not None:
                ends.append(self._order.expires_monotonic - time.monotonic())
            wait = min([wait] + [left for left in ends if left > 0])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._mode_changed.wait(), wait)
            self._mode_changed.clear()
            await self._show_state_if_changed()


async def _ready(result: dict) -> dict:
    return result
