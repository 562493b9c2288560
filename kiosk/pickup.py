"""Pickup mode (取货核销) of a canteen terminal: staff switch the screen to it, the scanner's read
is looked up at the backend, the screen shows the order's lines and the cadre's masked name,
and 确认交付 hands it over.

The order shown waits for 确认交付 for at most CONFIRM_SECONDS; what is confirmed is that order,
with the code that was read for it, never something the page sends (the page only names which
order it shows, and a page naming another is refused). The backend decides the hand-over with
one conditional update, so a second terminal scanning the same code at once, or any later
scan, is told when and where it was picked up. Nothing is handed over offline: the backend is
the only one that knows whether another terminal already did."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from kiosk.backend_client import BackendClient
from kiosk.sync import Link, Unreachable, answered, json_of

log = logging.getLogger(__name__)

# How long an order looked up waits for 确认交付, and how long pickup mode lasts untouched
# before the terminal goes back to taking payments.
CONFIRM_SECONDS = 60.0
MODE_SECONDS = 300.0

HANDED_OVER = "handed_over"
ALREADY = "already"
REFUSED = "refused"

PICKUP_OFFLINE = "网络中断，暂不能核销取货，请稍后再试"
PICKUP_FAULT = "本机暂时不能核销取货，请联系管理员"
SCAN_AGAIN = "请重新扫描取货码后再确认"
CARD_IN_PICKUP = "本机正在取货核销，请扫描取货二维码；收款请先点“返回收款”"
UNREADABLE = "无法识别的取货码，请重新扫描"
MAX_CODE = 200


@dataclass(frozen=True)
class Shown:
    """The order on screen waiting for 确认交付, with what was read for it."""

    order_no: str
    code: str
    until: float

    def expired(self) -> bool:
        return time.monotonic() >= self.until


def pickup_result(kind: str, message: str, order: dict | None = None) -> dict:
    return {"type": "pickup_result", "kind": kind, "message": message, "order": order}


class PickupDesk:
    def __init__(self, backend: BackendClient, link: Link, *, deadline: float):
        self.backend = backend
        self.link = link
        self.deadline = deadline
        self.shown: Shown | None = None
        self._mode_until = 0.0

    # ---- the mode ------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return time.monotonic() < self._mode_until

    def mode_ends_in(self) -> float:
        return self._mode_until - time.monotonic()

    def enter(self) -> None:
        self._mode_until = time.monotonic() + MODE_SECONDS

    def leave(self) -> None:
        self._mode_until = 0.0
        self.shown = None

    def current(self) -> Shown | None:
        if self.shown is not None and self.shown.expired():
            self.shown = None
        return self.shown

    # ---- the backend ---------------------------------------------------------------------------

    async def _online(self, call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response | None:
        if self.link.online is False:
            return None
        try:
            response = answered(await asyncio.wait_for(call(), self.deadline))
        except (httpx.HTTPError, TimeoutError, Unreachable) as problem:
            log.info("backend did not answer the pickup in time: %r", problem)
            self.link.lost()
            return None
        self.link.reached()
        return response

    @staticmethod
    def _refusal(response: httpx.Response) -> dict:
        """The shop's refusals are for staff to read as worded; anything else (an unknown
        device, a clock off) is this terminal's fault, told in the log."""
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = (body.get("error") if isinstance(body, dict) else None) or {}
        code, message = error.get("code", ""), error.get("message", "")
        if isinstance(code, str) and code.startswith("shop.") and message:
            return pickup_result(ALREADY if code == "shop.already_picked_up" else REFUSED, message)
        log.error("backend refused the pickup: %s %s", response.status_code, response.text[:500])
        return pickup_result(REFUSED, PICKUP_FAULT)

    async def scanned(self, code: str) -> dict:
        """A scan in pickup mode: the order it names ({"type": "pickup", "order"}), now waiting
        for 确认交付 if it can be handed over, or a refusal in words."""
        self.enter()
        self.shown = None
        code = code.strip()
        if not code or len(code) > MAX_CODE:
            return pickup_result(REFUSED, UNREADABLE)
        response = await self._online(lambda: self.backend.pickup_lookup(code))
        if response is None:
            return pickup_result(REFUSED, PICKUP_OFFLINE)
        if response.status_code != 200:
            return self._refusal(response)
        order = json_of(response)
        if order.get("can_hand_over"):
            self.shown = Shown(order["order_no"], code, time.monotonic() + CONFIRM_SECONDS)
        return {"type": "pickup", "order": order}

    async def confirm(self, order_no: object) -> dict:
        """确认交付 of the order on screen (the page names it; it must be the one shown)."""
        self.enter()
        shown, self.shown = self.current(), None
        if shown is None or order_no != shown.order_no:
            return pickup_result(REFUSED, SCAN_AGAIN)
        response = await self._online(lambda: self.backend.pickup_confirm(shown.order_no, shown.code))
        if response is None:
            return pickup_result(REFUSED, PICKUP_OFFLINE)
        if response.status_code != 200:
            return self._refusal(response)
        order = json_of(response)
        return pickup_result(HANDED_OVER, f"请将商品交给 {order['person_name']}（订单 {order['order_no']}）", order)
