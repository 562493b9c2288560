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
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match
from ocpp.exceptions import (
    FormatViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, MessageType, get_validator, unpack
from ocpp.routing import after, on
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
from backend.charging.models import CommandState, PayerKind
from backend.charging.protocols.ocpp16_link import OcppLink
from backend.charging.service import background, bus, commands, sessions, tags
from backend.charging.service.piles import PileRef, find_for_login
from backend.charging.service.tags import TagVerdict
from backend.core.timeutil import now
from backend.modules import settings_of

log = logging.getLogger(__name__)


class _NoFrames(logging.Filter):
    """The `ocpp` library logs whole frames (card UIDs and all): at INFO every frame, at ERROR the
    Call that failed and errors whose details quote the payload. Its INFO lines are dropped; a
    warning or error keeps its place but says only the action and unique id of the message, and a
    traceback only when it is not the library's own protocol error (whose text quotes it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        args = record.args if isinstance(record.args, tuple) else ()
        message = next((a for a in args if hasattr(a, "unique_id")), None)
        record.msg = "ocpp library: a problem with message %s %s"
        record.args = (getattr(message, "action", "-"), getattr(message, "unique_id", "-"))
        if record.exc_info and isinstance(record.exc_info[1], OCPPError):
            record.exc_info = None
        record.exc_text = None
        return True


# The logger the library is given; the filter goes on the logger itself, so no handler anywhere
# sees a frame, and the library's module logger gets it too for any line it writes there.
frames_log = logging.getLogger(__name__ + ".frames")
frames_log.addFilter(_NoFrames())
logging.getLogger("ocpp").addFilter(_NoFrames())

bp = Blueprint("charging_ocpp", url_prefix="/ocpp")
SUBPROTOCOL = "ocpp1.6"
# Calls to the pile are timed by the caller (commands.send); the library's own limit only has to
# be longer than any of them.
LIBRARY_TIMEOUT = 3600
ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
SOC = "SoC"
# The longest MeterValueSampleInterval asked of a pile: the balance stop sees a session's cost no
# later than this.
MOST_SAMPLE_SECONDS = 60


def sample_interval(settings: ChargingSettings) -> int:
    """Seconds between a pile's meter samples: its heartbeat interval, at most a minute."""
    return min(settings.heartbeat_seconds, MOST_SAMPLE_SECONDS)


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


# The largest readings kept: an energy register beyond 2^53 Wh, a power beyond the database's
# integer or a state of charge outside 0-100 % is a broken meter, not a reading.
MOST_ENERGY_WH = 2**53
MOST_POWER_W = 2**31 - 1


def _number(sampled: dict) -> Decimal | None:
    try:
        number = Decimal(str(sampled.get("value", "")))
    except InvalidOperation:
        return None  # SignedData and the like: not a reading to bill by
    # "NaN" and "Infinity" read as Decimals; a 1E+999999 would make a million-digit integer.
    return number if number.is_finite() and number.adjusted() <= 18 else None


def _within(value: int, low: int, high: int) -> int | None:
    return value if low <= value <= high else None


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
            scaled = int((number * 1000 if kilo else number).to_integral_value())
            if measurand == ENERGY:
                energy = _within(scaled, 0, MOST_ENERGY_WH)
            elif measurand == POWER:
                power = _within(scaled, -MOST_POWER_W, MOST_POWER_W)
            elif measurand == SOC:
                soc = _within(int(number.to_integral_value()), 0, 100)
        samples.append(sessions.Sample(_time(value["timestamp"]), energy, power, soc))
    return sorted(samples, key=lambda s: s.at)


def _plain(details: Any) -> dict:
    """A CallError's details without the library's copy of the whole message."""
    return {k: v for k, v in details.items() if k != "ocpp_message"} if isinstance(details, dict) else {}


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


# OCPP-J 1.6 §4.2.3 for a payload its schema refuses: a field of the wrong type is a
# TypeConstraintViolation, a field of the right type with a value not allowed (too long, not one
# of the enumeration, out of range) a PropertyConstraintViolation, a field missing a
# ProtocolError, the rest a FormatViolation. (The spec's own text spells the last one
# "FormationViolation", a known erratum; the library and the piles use "FormatViolation".) The
# library gives a too-long string TypeConstraintViolation and a bad enumeration FormatViolation.
SCHEMA_ERRORS: dict[str, type[OCPPError]] = {
    "type": TypeConstraintViolationError,
    "required": ProtocolError,
    "maxLength": PropertyConstraintViolationError,
    "minLength": PropertyConstraintViolationError,
    "enum": PropertyConstraintViolationError,
    "minimum": PropertyConstraintViolationError,
    "maximum": PropertyConstraintViolationError,
    "multipleOf": PropertyConstraintViolationError,
}


def _schema_error(msg: Call) -> OCPPError | None:
    """The CallError a Call's payload earns by its action's schema, or None when it conforms. Its
    details name the field, never the value (a card UID must not go back into any log)."""
    validator: Draft4Validator = get_validator(MessageType.Call, msg.action, "1.6")
    error = best_match(validator.iter_errors(msg.payload))
    if error is None:
        return None
    field_path = ".".join(str(part) for part in error.absolute_path) or "payload"
    return SCHEMA_ERRORS.get(str(error.validator), FormatViolationError)(
        details={"cause": f"{field_path} violates its {error.validator} constraint"}
    )


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
            await self._send(CallError(_unique_id_of(raw_msg), error.code, error.description, {}).to_json())
            return
        if msg.message_type_id == MessageType.Call and not isinstance(msg.unique_id, str):
            await self._send(CallError("-1", "FormatViolation", "unique id must be a string", {}).to_json())
            return
        if not isinstance(msg, Call):
            self._response_queue.put_nowait(msg)  # an answer to one of our calls
            return
        if not isinstance(msg.action, str):
            await self._send(CallError(msg.unique_id, "FormatViolation", "action must be a string", {}).to_json())
            return
        if msg.action not in self.route_map:
            await self._send(_unanswerable(msg).to_json())
            return
        # What a frame says stays out of the logs; its action and unique id are enough to find it.
        log.debug("charging: %s %s from %s", msg.action, msg.unique_id, self.pile.box_id)
        try:
            refused = _schema_error(msg) if isinstance(msg.payload, dict) else FormatViolationError()
            if refused is not None:
                raise refused
            await self._handle_call(msg)
        except OCPPError as error:
            log.info("charging: %s %s from %s refused: %s", msg.action, msg.unique_id, self.pile.box_id, error.code)
            await self._send(CallError(msg.unique_id, error.code, error.description, _plain(error.details)).to_json())

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

    @after(OcppAction.boot_notification)
    def after_boot(self, **_: Any) -> None:
        # Run once the answer is sent (a pile may take no CALL before it is accepted), in a task
        # of its own: the pile cannot answer our CALL while we wait inside its message's handler.
        background.spawn(self.configure())

    async def configure(self) -> None:
        """Make the pile meter what the balance stop and the bill read: the energy register (and
        the power) sampled at an interval the settings derive. Each change is a Command row with
        the pile's answer; one the pile refuses is logged for staff to fix at the pile."""
        wanted = {
            "MeterValuesSampledData": f"{ENERGY},{POWER}",
            "MeterValueSampleInterval": str(sample_interval(self.settings)),
        }
        for key, value in wanted.items():
            answer = await commands.send(
                self.redis,
                self.pile.box_id,
                commands.Action.CHANGE_CONFIGURATION,
                {"key": key, "value": value},
                settings=self.settings,
            )
            if answer.state not in (CommandState.ACCEPTED, CommandState.OFFLINE):
                log.warning("charging: %s answered %s to %s", self.pile.box_id, answer.state.value, key)

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
        at = now()
        verdict = await sessions.authorize(self.pile, id_tag, at, settings=self.settings)
        info: dict[str, Any] = {"status": verdict.value}
        if verdict == TagVerdict.ACCEPTED and (await tags.resolve(id_tag, at)).kind == PayerKind.WALLET:
            # A pile may cache this answer and start on it later while offline, where no balance
            # is checked: a cadre's acceptance holds only as long as a start may take to come.
            expiry = at + timedelta(minutes=self.settings.start_token_minutes)
            info["expiry_date"] = expiry.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return call_result.Authorize(id_tag_info=info)

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
            settings=self.settings,
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
