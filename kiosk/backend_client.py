"""The kiosk's HTTP client to the backend; every request is signed with the device secret.

The signing scheme mirrors the backend's (method, path, query, timestamp, nonce, body hash,
HMAC-SHA256); the kiosk runs on another machine and shares no code with the server.

Every attempt is signed afresh (a new timestamp and nonce; the body, and so a payment's `txn_no`,
stays the same). After the backend's Redis lost its data, the backend refuses requests stamped
before its new replay epoch and names the first stamp it takes: the client then waits the moment
it is asked to (under a second; any other request signed meanwhile waits as long), signs again
with that stamp, sends once more, and keeps signing no earlier than it until its own clock has
caught up.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from urllib.parse import urlencode

import httpx


def signature_headers(
    device_id: str, secret: str, method: str, path: str, query: str, body: bytes, timestamp: int | None = None
) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    nonce = secrets.token_urlsafe(18)
    canonical = "\n".join([method.upper(), path, query, str(ts), nonce, hashlib.sha256(body).hexdigest()])
    signature = hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
    return {"X-Device-Id": device_id, "X-Timestamp": str(ts), "X-Nonce": nonce, "X-Signature": signature}


EPOCH_REFUSAL = "device.signed_before_epoch"
# The backend asks for at most the rest of a second; a larger figure is not its to ask.
MAX_EPOCH_WAIT = 1.0


class Stamps:
    """The timestamps a terminal signs with: its own clock, but never earlier than the first
    stamp the backend's replay epoch accepts, once the backend has named it. That stamp is ahead
    of the clock by the backend's whole skew allowance, so it is good only from the moment the
    backend named (`ready`): a request signed with it sooner, as another task's would be while
    the refused one waits, is refused as skewed."""

    def __init__(self) -> None:
        self.not_before = 0
        self.ready_at = 0.0

    def stamp(self) -> int:
        return max(int(time.time()), self.not_before)

    async def ready(self) -> None:
        """Wait, if a stamp of `not_before` is not good yet, until it is."""
        wait = self.ready_at - time.time()
        if wait > 0:
            await asyncio.sleep(wait)

    def epoch_refusal(self, status: int, body: bytes) -> bool:
        """For the backend's refusal of a stamp from before its epoch: remember the first stamp
        it accepts and from when it is good; False for any other answer."""
        if status != 401:
            return False
        try:
            error = json.loads(body)["error"]
            if error["code"] != EPOCH_REFUSAL:
                return False
            not_before, wait_ms = int(error["details"]["not_before"]), int(error["details"]["retry_after_ms"])
        except (ValueError, TypeError, KeyError):
            return False
        self.not_before = max(self.not_before, not_before)
        self.ready_at = max(self.ready_at, time.time() + min(max(wait_ms, 0) / 1000, MAX_EPOCH_WAIT))
        return True


class BackendClient:
    """The terminal API of the backend. Answers come back as they are (any status); transport
    failures raise httpx errors."""

    def __init__(
        self,
        base_url: str,
        device_id: str,
        secret: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        stamps: Stamps | None = None,
    ):
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)
        self.device_id = device_id
        self._secret = secret
        self.stamps = stamps or Stamps()

    async def request(self, method: str, path: str, payload: dict | None = None) -> httpx.Response:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        response = await self._send(method, path, body, json_body=payload is not None)
        if not self.stamps.epoch_refusal(response.status_code, response.content):
            return response
        return await self._send(method, path, body, json_body=payload is not None)

    async def _send(self, method: str, path: str, body: bytes, *, json_body: bool) -> httpx.Response:
        await self.stamps.ready()
        path_only, _, query = path.partition("?")
        headers = signature_headers(
            self.device_id, self._secret, method, path_only, query, body, timestamp=self.stamps.stamp()
        )
        if json_body:
            headers["Content-Type"] = "application/json"
        return await self._http.request(method, path, content=body, headers=headers)

    async def heartbeat(self, app_version: str, status: dict) -> httpx.Response:
        return await self.request("POST", "/device/v1/heartbeat", {"app_version": app_version, "status": status})

    async def pay(
        self,
        txn_no: str,
        *,
        card_uid: str | None = None,
        pay_code: str | None = None,
        amount_fen: int | None = None,
        items: Sequence[tuple[int, int]] = (),
    ) -> httpx.Response:
        """A payment by card or pay code: at a fixed-price terminal nothing more; at a free-amount
        terminal the amount keyed; at a menu terminal the dishes chosen (the backend prices them)."""
        credential = {"card_uid": card_uid} if card_uid else {"pay_code": pay_code}
        order: dict[str, object] = {"amount_fen": amount_fen} if amount_fen is not None else {}
        if items:
            order["items"] = [{"dish_id": dish_id, "quantity": quantity} for dish_id, quantity in items]
        return await self.request("POST", "/device/v1/canteen/pay", {"txn_no": txn_no, **credential, **order})

    async def balance(self, card_uid: str) -> httpx.Response:
        return await self.request("GET", f"/device/v1/canteen/balance?{urlencode({'card_uid': card_uid})}")

    async def risk(self, card_categories_version: str = "") -> httpx.Response:
        """The risk parameters; naming the card categories' version held leaves them out while
        it is current."""
        query = f"?{urlencode({'card_categories_version': card_categories_version})}" if card_categories_version else ""
        return await self.request("GET", f"/device/v1/canteen/risk{query}")

    async def menu(self) -> httpx.Response:
        return await self.request("GET", "/device/v1/canteen/menu")

    async def upload_offline(self, payments: Sequence[dict]) -> httpx.Response:
        return await self.request("POST", "/device/v1/canteen/offline-payments", {"payments": list(payments)})

    async def pickup_lookup(self, code: str) -> httpx.Response:
        """The shop order a scanned pickup QR (or typed code) names."""
        return await self.request("POST", "/device/v1/shop/pickups/lookup", {"code": code})

    async def pickup_confirm(self, order_no: str, code: str) -> httpx.Response:
        """Hand the order over: once, whichever terminal asks first."""
        return await self.request("POST", "/device/v1/shop/pickups/confirm", {"order_no": order_no, "code": code})

    async def access_sync(self, version: str = "", cards_version: str = "") -> httpx.Response:
        """What a gate terminal needs to decide offline; naming the versions held leaves out the
        revocations and used counts, or the cards, while they are current."""
        held = {k: v for k, v in (("version", version), ("cards_version", cards_version)) if v}
        return await self.request("GET", "/device/v1/access/sync" + (f"?{urlencode(held)}" if held else ""))

    async def access_scan(self, event_no: str, token: str) -> httpx.Response:
        return await self.request("POST", "/device/v1/access/scan", {"event_no": event_no, "token": token})

    async def access_card(self, event_no: str, card_uid: str) -> httpx.Response:
        return await self.request("POST", "/device/v1/access/card", {"event_no": event_no, "card_uid": card_uid})

    async def access_events(self, events: Sequence[dict]) -> httpx.Response:
        """Upload a gate terminal's journal: decisions it took offline."""
        return await self.request("POST", "/device/v1/access/events", {"events": list(events)})

    async def aclose(self) -> None:
        await self._http.aclose()
