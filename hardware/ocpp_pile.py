"""An OCPP 1.6J charge point simulator, built on the `ocpp` package's ChargePoint: it boots,
heartbeats, takes a card (Authorize, then StartTransaction), meters energy at its power (obeying
the central system's charging profile), stops, and answers the central system's commands. While
its connection is down it queues StartTransaction, MeterValues and StopTransaction and sends them
again once reconnected, as a real pile does (OCPP 1.6 §3.7).

    OCPP_PILE_PASSWORD=... python -m hardware.ocpp_pile --url ws://127.0.0.1:8000/ocpp --box CP-1001
    python -m hardware.ocpp_pile --url ... --count 50 --prefix SIM- --password-file piles.txt

A password is read from --password-file or the environment (OCPP_PILE_PASSWORD): the command line
is visible to every user of the machine through `ps`. --password is kept for a throwaway test.

It imports nothing from the backend: it is a pile as the central system sees it."""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import itertools
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

log = logging.getLogger("hardware.ocpp_pile")

SUBPROTOCOL = "ocpp1.6"
READ_ONLY = {"NumberOfConnectors", "ChargePointModel"}
CONNECTION_LOST = (websockets.ConnectionClosed, OSError, TimeoutError)


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def basic_auth(box_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{box_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class Transaction:
    connector_id: int
    id_tag: str
    meter_start: int
    id: int | None = None  # None until the central system has answered the start
    began: float = 0.0  # the event loop's time it began at
    metered_until: float = 0.0  # and up to which its energy has been metered


@dataclass
class Plug:
    """A connector: its energy register (Wh), its power limits and its transaction."""

    power_w: int
    energy_wh: float = 0.0  # delivered so far; the register shows whole Wh
    # The central system's limits (OCPP 1.6 §3.13): a TxDefaultProfile holds for every
    # transaction on the connector, a TxProfile only for the current one and goes before it.
    default_limit_w: int | None = None
    transaction_limit_w: int | None = None
    available: bool = True
    transaction: Transaction | None = None

    @property
    def register_wh(self) -> int:
        return int(self.energy_wh)

    @property
    def limit_w(self) -> int | None:
        return self.default_limit_w if self.transaction_limit_w is None else self.transaction_limit_w

    @property
    def draw_w(self) -> int:
        return self.power_w if self.limit_w is None else min(self.power_w, self.limit_w)


@dataclass
class Offline:
    """Messages made while the connection was down, sent again in order on reconnect."""

    queue: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)


class SimulatedPile(ChargePoint):
    """A charge point with `connectors` connectors of `power_w` each."""

    def __init__(self, box_id: str, connection: Any, *, connectors: int = 2, power_w: int = 7000) -> None:
        super().__init__(box_id, connection, response_timeout=30)
        self.plugs = {n: Plug(power_w) for n in range(1, connectors + 1)}
        self.online = connection is not None
        self.offline = Offline()
        self.heartbeat_s = 60
        self.config = {
            "HeartbeatInterval": "60",
            "MeterValueSampleInterval": "10",
            "MeterValuesSampledData": "Energy.Active.Import.Register",
            "NumberOfConnectors": str(connectors),
            "ChargePointModel": "SIM-7K",
        }
        self.resets: list[str] = []
        self.unlocked: list[int] = []
        # Set when a transaction starts or the connection is lost: an idle pile's loop wakes.
        self.wake = asyncio.Event()

    # ---- connection ----

    def connect(self, connection: Any) -> None:
        """Use a new connection (after a reconnect)."""
        self._connection = connection
        self._response_queue: asyncio.Queue = asyncio.Queue()
        self.online = True

    def lost(self, connection: Any, _reader: asyncio.Task | None = None) -> None:
        """`connection` is closed (the central system's worker died or closed it): go offline
        now rather than at the next message, so the pile reconnects at once."""
        if self._connection is connection:
            self.online = False
            self.wake.set()

    async def send(self, payload: Any) -> Any:
        """CALL the central system; raises if the connection is down or it does not answer."""
        return await self.call(payload, suppress=False)

    async def send_or_queue(self, make: Callable[[], Awaitable[Any]]) -> Any:
        """Run `make` now, or queue it while offline (transaction messages only)."""
        if self.online and not self.offline.queue:
            try:
                return await make()
            except CONNECTION_LOST:
                self.online = False
        self.offline.queue.append(make)
        return None

    async def flush(self) -> int:
        """Send the queued messages again in order; returns how many went."""
        sent = 0
        while self.offline.queue:
            await self.offline.queue[0]()
            self.offline.queue.pop(0)
            sent += 1
        return sent

    # ---- what the pile does by itself ----

    async def boot(self) -> Any:
        answer = await self.send(
            call.BootNotification(
                charge_point_vendor="Houqin",
                charge_point_model=self.config["ChargePointModel"],
                charge_point_serial_number=f"SN-{self.id}",
                firmware_version="1.0.0",
            )
        )
        self.heartbeat_s = answer.interval
        return answer

    async def heartbeat(self) -> Any:
        return await self.send(call.Heartbeat())

    async def status(self, connector_id: int, status: str, error_code: str = "NoError", info: str | None = None) -> Any:
        return await self.send(
            call.StatusNotification(
                connector_id=connector_id, error_code=error_code, status=status, info=info, timestamp=timestamp()
            )
        )

    async def authorize(self, id_tag: str) -> str:
        answer = await self.send(call.Authorize(id_tag=id_tag))
        return answer.id_tag_info["status"]

    async def tap(self, id_tag: str, connector_id: int = 1) -> Transaction | None:
        """A card held to the reader with the cable in: Authorize (online), then start."""
        if self.online:
            try:
                if await self.authorize(id_tag) != "Accepted":
                    return None
            except CONNECTION_LOST:
                # Offline: the pile starts anyway and reports the start once back (the central
                # system decides then, AllowOfflineTxForUnknownId).
                self.online = False
        return await self.start_transaction(id_tag, connector_id)

    async def start_transaction(self, id_tag: str, connector_id: int = 1) -> Transaction:
        plug = self.plugs[connector_id]
        began = _clock()
        transaction = Transaction(connector_id, id_tag, plug.register_wh, began=began, metered_until=began)
        plug.transaction = transaction
        self.wake.set()
        at = timestamp()

        async def send_start() -> Any:
            answer = await self.send(
                call.StartTransaction(
                    connector_id=connector_id, id_tag=id_tag, meter_start=transaction.meter_start, timestamp=at
                )
            )
            transaction.id = answer.transaction_id
            if answer.id_tag_info["status"] != "Accepted" and plug.transaction is transaction:
                # The central system refused the tag: a real pile stops the charge at once.
                await self.stop(connector_id, reason="DeAuthorized")
            return answer

        await self.send_or_queue(send_start)
        return transaction

    async def meter(self, connector_id: int = 1, seconds: float = 10.0) -> int:
        """Deliver `seconds` of energy at the connector's draw and report the register."""
        plug = self.plugs[connector_id]
        transaction = plug.transaction
        plug.energy_wh += plug.draw_w * seconds / 3600
        register, power, at = plug.register_wh, plug.draw_w, timestamp()

        async def send_meter() -> Any:
            return await self.send(
                call.MeterValues(
                    connector_id=connector_id,
                    transaction_id=transaction.id if transaction else None,
                    meter_value=[_sample(at, register, power)],
                )
            )

        await self.send_or_queue(send_meter)
        return register

    async def stop(self, connector_id: int = 1, reason: str = "Local") -> Any:
        plug = self.plugs[connector_id]
        transaction, plug.transaction, plug.transaction_limit_w = plug.transaction, None, None
        if transaction is None:
            return None
        register, at = plug.register_wh, timestamp()

        async def send_stop() -> Any:
            return await self.send(
                call.StopTransaction(
                    meter_stop=register,
                    timestamp=at,
                    transaction_id=transaction.id if transaction.id is not None else -1,
                    reason=reason,
                    id_tag=transaction.id_tag,
                )
            )

        return await self.send_or_queue(send_stop)

    def transaction_by_id(self, transaction_id: int) -> Transaction | None:
        for plug in self.plugs.values():
            if plug.transaction is not None and plug.transaction.id == transaction_id:
                return plug.transaction
        return None

    # ---- what the central system asks ----

    @on(Action.remote_start_transaction)
    async def on_remote_start(self, id_tag: str, connector_id: int | None = None, charging_profile: dict | None = None):
        plug = self.plugs.get(connector_id or 1)
        if plug is None or plug.transaction is not None or not plug.available:
            return _result("RemoteStartTransaction", status="Rejected")
        if charging_profile:
            limit = _limit_of(charging_profile)
            # The profile of a remote start is the coming transaction's own (§5.11).
            if limit is None or charging_profile.get("charging_profile_purpose") != "TxProfile":
                return _result("RemoteStartTransaction", status="Rejected")
            plug.transaction_limit_w = limit
        return _result("RemoteStartTransaction", status="Accepted")

    @after(Action.remote_start_transaction)
    async def after_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> None:
        plug = self.plugs.get(connector_id or 1)
        if plug is not None and plug.transaction is None and plug.available:
            await self.start_transaction(id_tag, connector_id or 1)

    @on(Action.remote_stop_transaction)
    async def on_remote_stop(self, transaction_id: int):
        known = self.transaction_by_id(transaction_id) is not None
        return _result("RemoteStopTransaction", status="Accepted" if known else "Rejected")

    @after(Action.remote_stop_transaction)
    async def after_remote_stop(self, transaction_id: int) -> None:
        transaction = self.transaction_by_id(transaction_id)
        if transaction is not None:
            await self.stop(transaction.connector_id, reason="Remote")

    @on(Action.change_availability)
    async def on_change_availability(self, connector_id: int, type: str):
        plugs = list(self.plugs.values()) if connector_id == 0 else [self.plugs.get(connector_id)]
        if None in plugs:
            return _result("ChangeAvailability", status="Rejected")
        busy = any(p.transaction is not None for p in plugs if p is not None)
        for plug in plugs:
            if plug is not None:
                plug.available = type == "Operative"
        return _result("ChangeAvailability", status="Scheduled" if busy else "Accepted")

    @on(Action.reset)
    async def on_reset(self, type: str):
        self.resets.append(type)
        return _result("Reset", status="Accepted")

    @on(Action.unlock_connector)
    async def on_unlock(self, connector_id: int):
        if connector_id not in self.plugs:
            return _result("UnlockConnector", status="NotSupported")
        self.unlocked.append(connector_id)
        return _result("UnlockConnector", status="Unlocked")

    @on(Action.get_configuration)
    async def on_get_configuration(self, key: list[str] | None = None):
        wanted = key or list(self.config)
        known = [{"key": k, "readonly": k in READ_ONLY, "value": self.config[k]} for k in wanted if k in self.config]
        unknown = [k for k in wanted if k not in self.config]
        return _result("GetConfiguration", configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    async def on_change_configuration(self, key: str, value: str):
        if key not in self.config:
            return _result("ChangeConfiguration", status="NotSupported")
        if key in READ_ONLY:
            return _result("ChangeConfiguration", status="Rejected")
        self.config[key] = value
        return _result("ChangeConfiguration", status="Accepted")

    @on(Action.trigger_message)
    async def on_trigger(self, requested_message: str, connector_id: int | None = None):
        known = {"BootNotification", "Heartbeat", "StatusNotification", "MeterValues"}
        return _result("TriggerMessage", status="Accepted" if requested_message in known else "NotImplemented")

    @after(Action.trigger_message)
    async def after_trigger(self, requested_message: str, connector_id: int | None = None) -> None:
        if requested_message == "BootNotification":
            await self.boot()
        elif requested_message == "Heartbeat":
            await self.heartbeat()
        elif requested_message == "StatusNotification":
            for n in [connector_id] if connector_id else list(self.plugs):
                await self.status(n, "Charging" if self.plugs[n].transaction else "Available")
        elif requested_message == "MeterValues":
            for n in [connector_id] if connector_id else list(self.plugs):
                await self.meter(n, seconds=0)

    @on(Action.set_charging_profile)
    async def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict):
        limit = _limit_of(cs_charging_profiles)
        purpose = cs_charging_profiles.get("charging_profile_purpose")
        if limit is None or (connector_id != 0 and connector_id not in self.plugs):
            return _result("SetChargingProfile", status="Rejected")
        if purpose == "TxDefaultProfile":
            for plug in self.plugs.values() if connector_id == 0 else [self.plugs[connector_id]]:
                plug.default_limit_w = limit
            return _result("SetChargingProfile", status="Accepted")
        if purpose == "TxProfile" and connector_id != 0:
            # Only for the transaction under way on that connector (§5.16.3). Its id may still be
            # on its way here: the central system can send the limit right after answering the start.
            plug = self.plugs[connector_id]
            transaction = plug.transaction
            wanted = cs_charging_profiles.get("transaction_id")
            if transaction is not None and (wanted is None or transaction.id in (None, wanted)):
                plug.transaction_limit_w = limit
                return _result("SetChargingProfile", status="Accepted")
        # A ChargePointMaxProfile (the whole pile's limit) is not simulated.
        return _result("SetChargingProfile", status="Rejected")


def _clock() -> float:
    return asyncio.get_running_loop().time()


def _result(action: str, **fields: Any) -> Any:
    return getattr(call_result, action)(**fields)


def _limit_of(profile: dict) -> int | None:
    """The first period's limit of a profile in W (or A at 230 V on three phases)."""
    schedule = profile.get("charging_schedule", {})
    periods = schedule.get("charging_schedule_period") or []
    if not periods:
        return None
    limit = float(periods[0]["limit"])
    return round(limit if schedule.get("charging_rate_unit") == "W" else limit * 230 * 3)


def _sample(at: str, register_wh: int, power_w: int) -> dict:
    return {
        "timestamp": at,
        "sampled_value": [
            {"value": str(register_wh), "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
            {"value": str(power_w), "measurand": "Power.Active.Import", "unit": "W"},
        ],
    }


async def open_connection(url: str, box_id: str, password: str) -> Any:
    """A WebSocket to the central system as `box_id`, with subprotocol ocpp1.6 and Basic auth."""
    return await websockets.connect(
        f"{url.rstrip('/')}/{box_id}",
        subprotocols=[websockets.Subprotocol(SUBPROTOCOL)],
        additional_headers=basic_auth(box_id, password),
        open_timeout=10,
        ping_interval=None,  # the central system pings; the client library answers
    )


async def run(
    url: str,
    box_id: str,
    password: str,
    *,
    id_tag: str | None = None,
    meter_seconds: float = 10.0,
    sessions: int = 1,
    power_w: int = 7000,
    stop_after: float | None = None,
) -> SimulatedPile:
    """Keep one pile connected (reconnecting after a drop, then sending its queue again): boot,
    heartbeat, meter every connector with a transaction (a card's or a remote start's) every
    `meter_seconds`, and with `id_tag` run `sessions` sessions on connector 1. A transaction is
    stopped after `stop_after` seconds (None = when the central system stops it); with `id_tag`
    and `stop_after` the pile disconnects after its last session."""
    pile = SimulatedPile(box_id, None, power_w=power_w)
    done = 0
    for attempt in itertools.count():
        try:
            connection = await open_connection(url, box_id, password)
        except (OSError, websockets.InvalidHandshake, TimeoutError) as exc:
            log.warning("%s: cannot connect (%s); retrying", box_id, exc)
            await asyncio.sleep(min(30, 2 ** min(attempt, 5)))
            continue
        pile.connect(connection)
        reader = asyncio.create_task(pile.start())
        reader.add_done_callback(functools.partial(pile.lost, connection))
        try:
            await pile.boot()
            await pile.flush()
            for n in pile.plugs:
                await pile.status(n, "Charging" if pile.plugs[n].transaction else "Available")
            done = await _operate(pile, id_tag, meter_seconds, sessions, stop_after, done)
            if id_tag and stop_after is not None and done >= sessions:
                await connection.close()
                return pile
            log.warning("%s: connection lost; reconnecting", box_id)
        except CONNECTION_LOST as exc:
            log.warning("%s: connection lost (%s); reconnecting", box_id, exc)
            pile.online = False
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader
            # Closed here too when the pile is stopped (cancelled), so its socket does not linger.
            with contextlib.suppress(Exception):
                await connection.close()
    raise AssertionError("unreachable")


async def _operate(
    pile: SimulatedPile, id_tag: str | None, meter_seconds: float, sessions: int, stop_after: float | None, done: int
) -> int:
    """The pile at work while connected: taps its card, meters what charges, heartbeats. Returns
    the sessions run so far once its card's sessions are all done or the connection is lost."""
    next_heartbeat = _clock() + pile.heartbeat_s
    next_meter: float | None = None
    while pile.online:
        if id_tag and pile.plugs[1].transaction is None and done < sessions:
            await pile.tap(id_tag)
        charging = [plug for plug in pile.plugs.values() if plug.transaction is not None]
        if not charging:
            next_meter = None
            if id_tag and stop_after is not None and done >= sessions:
                return done
            # Idle until the heartbeat is due, or at once a remote start begins a transaction.
            pile.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pile.wake.wait(), max(0.0, next_heartbeat - _clock()))
        else:
            next_meter = next_meter or _clock() + meter_seconds
            await asyncio.sleep(max(0.0, min(next_meter, next_heartbeat) - _clock()))
        at = _clock()
        if next_meter is not None and at >= next_meter:
            next_meter = at + meter_seconds
            for n, plug in pile.plugs.items():
                transaction = plug.transaction
                if transaction is None:
                    continue
                # Energy by the time that really passed since the last reading (a transaction
                # started between two readings has its first one at the next).
                await pile.meter(n, at - transaction.metered_until)
                transaction.metered_until = at
                if stop_after is not None and at - transaction.began >= stop_after:
                    await pile.stop(n)
                    done += n == 1 and transaction.id_tag == id_tag
        if at >= next_heartbeat:
            next_heartbeat = at + pile.heartbeat_s
            await pile.heartbeat()
    return done


PASSWORD_ENV = "OCPP_PILE_PASSWORD"


def passwords_from(args: argparse.Namespace, boxes: list[str]) -> dict[str, str]:
    if args.password_file:
        table = {}
        for line in Path(args.password_file).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                box, _, secret = line.strip().partition(" ")
                table[box] = secret.strip()
        missing = [b for b in boxes if b not in table]
        if missing:
            raise SystemExit(f"no password for {', '.join(missing[:5])} in {args.password_file}")
        return table
    password = args.password or os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise SystemExit(f"give --password-file, or the password in {PASSWORD_ENV}")
    return dict.fromkeys(boxes, password)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hardware.ocpp_pile", description="OCPP 1.6J 充电桩模拟器")
    parser.add_argument("--url", required=True, help="central system, e.g. ws://127.0.0.1:8000/ocpp")
    parser.add_argument("--box", help="charge box id of a single pile")
    parser.add_argument("--count", type=int, default=0, help="run N piles named <prefix><0001..N>")
    parser.add_argument("--prefix", default="SIM-")
    parser.add_argument("--password", help=f"visible in `ps`: prefer {PASSWORD_ENV} or --password-file")
    parser.add_argument("--password-file", help="lines of '<box id> <password>'")
    parser.add_argument("--id-tag", help="card to tap on connector 1 (no session without)")
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--meter-seconds", type=float, default=10.0)
    parser.add_argument("--stop-after", type=float, help="seconds a session lasts (default: until killed)")
    parser.add_argument("--power-w", type=int, default=7000)
    args = parser.parse_args(argv)
    if bool(args.box) == bool(args.count):
        parser.error("give either --box or --count")
    boxes = [args.box] if args.box else [f"{args.prefix}{n:04d}" for n in range(1, args.count + 1)]
    secrets = passwords_from(args, boxes)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ocpp").setLevel(logging.WARNING)

    async def all_piles() -> None:
        await asyncio.gather(
            *(
                run(
                    args.url,
                    box,
                    secrets[box],
                    id_tag=args.id_tag,
                    meter_seconds=args.meter_seconds,
                    sessions=args.sessions,
                    power_w=args.power_w,
                    stop_after=args.stop_after,
                )
                for box in boxes
            )
        )

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(all_piles())
    return 0


if __name__ == "__main__":
    sys.exit(main())
