"""The kiosk screen's local web server: the page, its assets, and a WebSocket of events.

Chromium in kiosk mode shows `/` (index.html, or gate.html at a gate terminal); everything it
loads comes from `kiosk/static/` (no CDN, no web fonts: Chinese is drawn with the system's Noto
CJK). The agent pushes events to every open
page over `/ws` and hears the page's touch buttons back on it:

    agent -> page   {"type": "state", ...}    what the idle screen shows (see Agent.snapshot)
                    {"type": "result", ...}   a tap's result (see kiosk.payments)
                    {"type": "entry_refused", "message"}  an amount or dishes not taken, and why
                    {"type": "pickup", "order"}  pickup mode: the order a scan named (kiosk.pickup)
                    {"type": "pickup_result", "kind", "message", "order"}  handed_over, already
                                              (picked up before: when and where), or refused
    page -> agent   {"type": "balance_mode"}  the diner touched 查询余额
                    {"type": "pay_mode"}      the diner touched 返回
                    {"type": "amount", "yuan": "12.50"}   staff keyed an amount and touched 确认
                    {"type": "items", "items": [{"dish_id", "quantity"}]}  dishes chosen, 确认
                    {"type": "cancel_order"}  取消: the amount or dishes waiting for a tap are dropped
                    {"type": "pickup_mode"}   staff touched 取货核销 (返回收款 sends pay_mode)
                    {"type": "pickup_confirm", "order_no"}  确认交付 of the order on screen
                    {"type": "pickup_cancel"} 取消: the order on screen is not handed over

What the page sends is checked by the agent (kiosk.orders), never taken on trust. A WebSocket
opened by a page from another origin (any web page in a browser on this machine could try) is
refused: only the kiosk's own page, loaded by a name of this machine, or a client that sends no
Origin, may talk to the agent.

aiohttp serves it: it runs inside the agent's own event loop (an AppRunner, no worker
processes or loop of its own, which Sanic's server would want) and has a WebSocket server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import WSMsgType, web

STATIC = Path(__file__).parent / "static"


class Screen:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        snapshot: Callable[[], dict],
        status: Callable[[], Awaitable[dict]],
        on_message: Callable[[dict], Awaitable[None]],
        page: str = "index.html",
    ):
        """`page` is the file of static/ served at `/`: the canteen's, or a gate's gate.html."""
        self.host = host
        self._page = page
        self.port = port
        self._snapshot = snapshot
        self._status = status
        self._on_message = on_message
        self._sockets: set[web.WebSocketResponse] = set()
        self.app = web.Application()
        self.app.router.add_get("/", self._index)
        self.app.router.add_get("/ws", self._websocket)
        self.app.router.add_get("/api/status", self._status_json)
        self.app.router.add_static("/static/", STATIC)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if self.port == 0:  # a free port was asked for: say which one it got
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def show(self, event: dict) -> None:
        """Send an event to every open page; a page that has gone away is dropped."""
        for socket in list(self._sockets):
            try:
                await socket.send_json(event)
            except (ConnectionError, RuntimeError):
                self._sockets.discard(socket)

    async def _index(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / self._page, headers={"Cache-Control": "no-store"})

    def _own_host(self, host: str) -> bool:
        """Whether the page was loaded by a name of this machine: a page of another site whose
        name was made to point here (DNS rebinding) has the same origin as its host, but not ours."""
        name, _, port = host.rpartition(":")
        return port == str(self.port) and name in {self.host, "127.0.0.1", "localhost", "[::1]"}

    async def _status_json(self, request: web.Request) -> web.Response:
        return web.json_response(await self._status())

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and (origin != f"{request.scheme}://{request.host}" or not self._own_host(request.host)):
            raise web.HTTPForbidden(text="not the kiosk's own page")
        socket = web.WebSocketResponse(heartbeat=10)
        await socket.prepare(request)
        self._sockets.add(socket)
        try:
            await socket.send_json(self._snapshot())
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    data = message.json()
                except ValueError:  # not JSON: not from our page
                    continue
                if isinstance(data, dict):
                    await self._on_message(data)
        finally:
            self._sockets.discard(socket)
        return socket
