"""The OCPP 1.6J central system's edge: the WebSocket at `/ocpp/<charge box id>`.

The handshake is refused before the upgrade unless the pile offers subprotocol `ocpp1.6` and
logs in with HTTP Basic as its box id and password (security profile 1; TLS ends at the load
balancer). Each frame becomes a call of the charging services, which know nothing of OCPP; every
Core-profile CALL is answered, and a frame that cannot be answered as asked gets the CallError the
spec names. The connection is the bus's Link to the pile: commands from any worker become CALLs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ocpp.exceptions import FormatViolationError, OCPPError
from ocpp.messages import Call, CallError, MessageType, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action as OcppAction
from ocpp.v16.enums import RegistrationStatus
from sanic import Blueprint, Request, Websocket
from sanic.exceptions import WebsocketClosed
from sanic.response import HTTPResponse
from sanic.response import json as json_response
from websockets.exceptions import ConnectionClosed

from backend.charging.config import ChargingSettings
from backend.charging.errors import ChargingError
from backend.charging.protocols.ocpp16_link import OcppLink
from backend.charging.service import bus, sessions
from backend.charging.service.piles import PileRef, find_for_login
from backend.core.timeutil import now
from backend.modules import settings_of

log = logging.getLogger(__name__)
# The library logs every frame at INFO, card UIDs and all: frames are kept out of the logs, its
# warnings and errors are not.
frames_log = logging.getLogger(__name__ + ".frames")
frames_log.setLevel(logging.WARNING)

bp = Blueprint("charging_ocpp", url_prefix="/ocpp")
SUBPROTOCOL = "ocpp1.6"
# Calls to the pile are timed by the caller (commands.send); the library's own limit only has to
# be longer than any of them.
LIBRARY_TIMEOUT = 3600
ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
SOC = "SoC"


def _refusal(error: ChargingError, headers: dict | None = None) -> HTTPResponse:
    return json_response(error.error().to_body(), status=error.status, headers=headers)


def _credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


@bp.on_request
async def handshake(request: Request) -> HTTPResponse | None:
    """Refuse a pile before the upgrade: no `ocpp1.6` offered, or not logged in as an active box
    with its password (an unknown box is refused exactly as a wrong password)."""
    offered = [p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",")]
    if SUBPROTOCOL not in offered:
        return _refusal(ChargingError.OCPP_SUBPROTOCOL)
    credentials = _credentials(request)
    box_id = request.match_info.get("box_id", "")
    pile = None
    if credentials is not None and credentials[0] == box_id:
        pile = await find_for_login(box_id, credentials[1])
    if pile is None:
        return _refusal(
            ChargingError.OCPP_UNAUTHORIZED, headers={"WWW-Authenticate": 'Basic realm="OCPP", charset="UTF-8"'}
        )
    request.ctx.pile = pile
    return None


def _time(value: str) -> datetime:
    """An OCPP timestamp; one without a zone is UTC (the spec asks for UTC)."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise FormatViolationError(details={"cause": f"not an ISO 8601 date-time: {value!r}"}) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(sampled: dict) -> Decimal | None:
    try:
        return Decimal(str(sampled.get("value", "")))
    except InvalidOperation:
        return None  # SignedData and the like: not a reading to bill by


def samples_of(meter_value: list[dict]) -> list[sessions.Sample]:
    """The neutral samples of a MeterValues list (or a StopTransaction's transactionData): the
    energy register in Wh, the power in W and the state of charge, totals only (per-phase values
    are left out, since the register total is what is billed)."""
    samples = []
    for value in meter_value:
        energy = power = soc = None
        for sampled in value.get("sampled_value", []):
            if sampled.get("phase"):
                continue
            number = _number(sampled)
            if number is None:
                continue
            measurand = sampled.get("measurand", ENERGY)
            kilo = sampled.get("unit", "").startswith("k")
            if measurand == ENERGY:
                energy = int((number * 1000 if kilo else number).to_integral_value())
            elif measurand == POWER:
                power = int((number * 1000 if kilo else number).to_integral_value())
            elif measurand == SOC:
                soc = int(number.to_integral_value())
        samples.append(sessions.Sample(_time(value["timestamp"]), energy, power, soc))
    return sorted(samples, key=lambda s: s.at)


def _unique_id_of(raw: Any) -> str:
    """The unique id of a frame that could not be read as a message, where one can be found."""
    try:
        parsed = json.loads(raw)
    except (TypeError, ValueError):
        return "-1"
    if isinstance(parsed, list) and len(parsed) > 1 and isinstance(parsed[1], str):
        return parsed[1]
    return "-1"


def _unanswerable(msg: Call) -> CallError:
    """The CallError for an action without a handler here, by OCPP-J 1.6 §4.2.3: NotImplemented
    when the action is not known at all, NotSupported when it is an OCPP 1.6 action that a central
    system does not take (the library gives these two the other way round)."""
    if msg.action in {a.value for a in OcppAction}:
        return CallError(
            msg.unique_id, "NotSupported", "Requested Action is recognized but not supported by the receiver", {}
        )
    return CallError(msg.unique_id, "NotImplemented", "Requested Action is not known by receiver", {})


class CentralSystemPoint(ChargePoint):
    """The central system's side of one pile's connection."""

    def __init__(self, pile: PileRef, ws: Websocket, redis: Any, settings: ChargingSettings) -> None:
        super().__init__(pile.box_id, ws, response_timeout=LIBRARY_TIMEOUT, logger=frames_log)
        self.pile = pile
        self.redis = redis
        self.settings = settings

    async def route_message(self, raw_msg: Any) -> None:
        await sessions.seen(self.pile.id, now())
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            # The library only logs a frame it cannot read; the spec wants a CallError back.
            await self._send(CallError(_unique_id_of(raw_msg), error.code, error.description, error.details).to_json())
            return
        if msg.message_type_id == MessageType.Call and not isinstance(msg.unique_id, str):
            await self._send(CallError("-1", "FormatViolation", "unique id must be a string", {}).to_json())
            return
        if isinstance(msg, Call) and not isinstance(msg.action, str):
            await self._send(CallError(msg.unique_id, "FormatViolation", "action must be a string", {}).to_json())
            return
        if isinstance(msg, Call) and msg.action not in self.route_map:
            await self._send(_unanswerable(msg).to_json())
            return
        await super().route_message(raw_msg)

    @on(OcppAction.boot_notification)
    async def on_boot(self, charge_point_vendor: str, charge_point_model: str, **info: Any) -> Any:
        boot = sessions.BootInfo(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial=info.get("charge_point_serial_number") or info.get("charge_box_serial_number") or "",
            firmware=info.get("firmware_version", ""),
        )
        interval = await sessions.boot(self.pile, boot, now(), settings=self.settings)
        return call_result.BootNotification(
            current_time=_utc_now(), interval=interval, status=RegistrationStatus.accepted
        )

    @on(OcppAction.heartbeat)
    async def on_heartbeat(self) -> Any:
        return call_result.Heartbeat(current_time=_utc_now())

    @on(OcppAction.status_notification)
    async def on_status(self, connector_id: int, error_code: str, status: str, **extra: Any) -> Any:
        at = _time(extra["timestamp"]) if extra.get("timestamp") else now()
        await sessions.status(
            self.redis,
            self.pile,
            connector_id,
            status,
            error_code,
            extra.get("info", ""),
            extra.get("vendor_error_code", ""),
            at,
        )
        return call_result.StatusNotification()

    @on(OcppAction.authorize)
    async def on_authorize(self, id_tag: str) -> Any:
        verdict = await sessions.authorize(self.pile, id_tag, now(), settings=self.settings)
        return call_result.Authorize(id_tag_info={"status": verdict.value})

    @on(OcppAction.start_transaction)
    async def on_start(self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any) -> Any:
        started = await sessions.start_transaction(
            self.redis, self.pile, connector_id, id_tag, meter_start, _time(timestamp), now(), settings=self.settings
        )
        return call_result.StartTransaction(
            transaction_id=started.transaction_id, id_tag_info={"status": started.verdict.value}
        )

    @on(OcppAction.meter_values)
    async def on_meter_values(self, connector_id: int, meter_value: list, transaction_id: int | None = None) -> Any:
        await sessions.meter_values(
            self.redis,
            self.pile,
            connector_id,
            transaction_id,
            samples_of(meter_value),
            now(),
            settings=self.settings,
        )
        return call_result.MeterValues()

    @on(OcppAction.stop_transaction)
    async def on_stop(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str = "Local",
        id_tag: str | None = None,
        transaction_data: list | None = None,
    ) -> Any:
        verdict = await sessions.stop_transaction(
            self.redis,
            self.pile,
            transaction_id,
            meter_stop,
            _time(timestamp),
            reason,
            id_tag,
            samples_of(transaction_data or []),
            now(),
        )
        return call_result.StopTransaction(id_tag_info={"status": verdict.value} if verdict else None)

    @on(OcppAction.data_transfer)
    async def on_data_transfer(self, vendor_id: str, message_id: str | None = None, data: str | None = None) -> Any:
        status = await sessions.data_transfer(self.pile, vendor_id, message_id, data, now())
        return call_result.DataTransfer(status=status)

    @on(OcppAction.firmware_status_notification)
    async def on_firmware_status(self, status: str) -> Any:
        await sessions.firmware_status(self.pile.id, status, now())
        return call_result.FirmwareStatusNotification()

    @on(OcppAction.diagnostics_status_notification)
    async def on_diagnostics_status(self, status: str) -> Any:
        await sessions.diagnostics_status(self.pile.id, status, now())
        return call_result.DiagnosticsStatusNotification()


def _utc_now() -> str:
    return now().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


async def _read(point: CentralSystemPoint, ws: Websocket) -> None:
    while (message := await ws.recv()) is not None:
        await point.route_message(message)


async def _keepalive(ws: Websocket, seconds: int) -> None:
    """Ping every `seconds` and give up on the socket when no pong comes back within as long: a
    pile whose power was cut leaves a half-open socket that would otherwise hold its place (and
    its commands) until TCP noticed, minutes later."""
    while True:
        await asyncio.sleep(seconds)
        pong = await ws.ping()
        try:
            await asyncio.wait_for(pong, seconds)
        except TimeoutError:
            log.info("charging: no pong from a pile in %s s, closing its socket", seconds)
            ws.fail_connection(1011, "no pong")
            return


@bp.websocket("/<box_id>", subprotocols=[SUBPROTOCOL])
async def ocpp(request: Request, ws: Websocket, box_id: str) -> None:
    runtime = request.app.ctx.runtime
    settings: ChargingSettings = settings_of(runtime.settings, "charging")
    point = CentralSystemPoint(request.ctx.pile, ws, runtime.redis, settings)
    link = OcppLink(point, ws.close)
    await bus.attach(runtime.redis, box_id, link)
    tasks = {asyncio.create_task(_read(point, ws)), asyncio.create_task(_keepalive(ws, settings.ping_seconds))}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and isinstance(task.exception(), Exception):
                error = task.exception()
                if not isinstance(error, ConnectionClosed | WebsocketClosed):
                    log.error("charging: connection of %s failed", box_id, exc_info=error)
    finally:
        for task in tasks:
            task.cancel()
        # Forget the link first: a reader stuck on a dead socket may take a while to unwind.
        await bus.detach(runtime.redis, box_id, link)
        await asyncio.wait(tasks, timeout=settings.ping_seconds)
