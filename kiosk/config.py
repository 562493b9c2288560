"""The kiosk agent's settings: from a JSON file and environment variables (which win).

The file may be exactly what the console's device QR code holds (`backend_url`, `device_code`,
`secret`), with any of the other settings added. Every setting, its variable and its default:

    backend_url          KIOSK_BACKEND_URL          (required) e.g. http://10.1.2.3:8000
    device_code          KIOSK_DEVICE_CODE          (required) the terminal's code, e.g. T-0001
    secret               KIOSK_DEVICE_SECRET        (required) shown once when it was registered
    card_reader          KIOSK_CARD_READER          (required) a device URI (see hardware.uri)
    scanner              KIOSK_SCANNER              ""   none: pay codes cannot be scanned
    printer              KIOSK_PRINTER              ""   none: no receipts
    data_dir             KIOSK_DATA_DIR             ./var/kiosk   the offline journal lives here
    host                 KIOSK_HOST                 127.0.0.1     where the screen page is served
    port                 KIOSK_PORT                 8700
    online_deadline_ms   KIOSK_ONLINE_DEADLINE_MS   800  a payment not answered by then goes offline
    heartbeat_seconds    KIOSK_HEARTBEAT_SECONDS    30   heartbeat and blacklist refresh while online
    retry_seconds        KIOSK_RETRY_SECONDS        3    reaching the backend again while offline
    result_seconds       KIOSK_RESULT_SECONDS       4    how long a result stays on the screen
    repeat_ignore_seconds KIOSK_REPEAT_IGNORE_SECONDS 2  the same card or code again within this
                                                         is the reader repeating, not a new tap
    time_zone            KIOSK_TIME_ZONE            Asia/Shanghai  meal periods are in this zone
    mode                 KIOSK_MODE                 canteen  or gate: a gate terminal (门禁终端)
    relay                KIOSK_RELAY                ""   the gate relay (a gate relay URI, see
                                                         hardware.uri); required in gate mode

In gate mode the scanner is required too (it reads the visitors' passes) and the printer is not
used. `--sim` (or `simulate`) makes the card reader, scanner and printer simulators, and in gate
mode the relay too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SIMULATOR = "sim"
CANTEEN = "canteen"
GATE = "gate"


class ConfigError(ValueError):
    """A setting is missing or wrong; the message names it."""


@dataclass(frozen=True)
class KioskConfig:
    backend_url: str
    device_code: str
    secret: str
    card_reader: str
    scanner: str = ""
    printer: str = ""
    data_dir: Path = Path("var/kiosk")
    host: str = "127.0.0.1"
    port: int = 8700
    online_deadline_ms: int = 800
    heartbeat_seconds: float = 30.0
    retry_seconds: float = 3.0
    result_seconds: float = 4.0
    repeat_ignore_seconds: float = 2.0
    time_zone: str = "Asia/Shanghai"
    mode: str = CANTEEN
    relay: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def journal_path(self) -> Path:
        return self.data_dir / "journal.sqlite3"


ENV_NAMES = {f.name: f"KIOSK_{f.name.upper()}" for f in fields(KioskConfig)} | {"secret": "KIOSK_DEVICE_SECRET"}
REQUIRED = ("backend_url", "device_code", "secret", "card_reader")
GATE_REQUIRED = ("scanner", "relay")


Number = TypeVar("Number", int, float)


def _text(values: Mapping[str, object], name: str, default: str = "") -> str:
    return str(values.get(name, default)).strip()


def _number(values: Mapping[str, object], name: str, kind: type[Number], default: Number) -> Number:
    """The setting (text from the environment, any JSON value from the file) as a number of
    `kind`; seconds (floats) must not be negative."""
    raw = values.get(name, default)
    try:
        if not isinstance(raw, (str, int, float)):  # a JSON null, list or object
            raise TypeError
        value = kind(raw)
        if kind is float and value < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise ConfigError(f"{name} ({ENV_NAMES[name]}) must be a number, not {raw!r}") from None
    return value


def load_config(
    env: Mapping[str, str] = os.environ, file: Path | None = None, *, simulate: bool = False
) -> KioskConfig:
    """The settings from `file` (JSON), overridden by `env`; with `simulate`, every device is a
    simulator."""
    values: dict[str, object] = {}
    if file is not None:
        try:
            stored = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as problem:
            raise ConfigError(f"cannot read the config file {file}: {problem}") from None
        if not isinstance(stored, dict):
            raise ConfigError(f"the config file {file} must hold a JSON object")
        unknown = set(stored) - set(ENV_NAMES)
        if unknown:
            raise ConfigError(f"unknown setting in {file}: {', '.join(sorted(unknown))}")
        values.update(stored)
    values.update({name: env[var] for name, var in ENV_NAMES.items() if env.get(var, "") != ""})
    mode = _text(values, "mode", CANTEEN)
    if mode not in (CANTEEN, GATE):
        raise ConfigError(f"mode ({ENV_NAMES['mode']}) must be {CANTEEN} or {GATE}, not {mode!r}")
    if simulate:
        values.update(card_reader=SIMULATOR, scanner=SIMULATOR, printer=SIMULATOR)
        if mode == GATE:
            values.update(relay=SIMULATOR)
    required = REQUIRED + (GATE_REQUIRED if mode == GATE else ())
    missing = [f"{name} ({ENV_NAMES[name]})" for name in required if not values.get(name)]
    if missing:
        raise ConfigError(f"missing setting: {', '.join(missing)}")
    # Every field of KioskConfig: a setting not given takes the field's default.
    config = KioskConfig(
        backend_url=_text(values, "backend_url"),
        device_code=_text(values, "device_code"),
        secret=_text(values, "secret"),
        card_reader=_text(values, "card_reader"),
        scanner=_text(values, "scanner", KioskConfig.scanner),
        printer=_text(values, "printer", KioskConfig.printer),
        data_dir=Path(str(values.get("data_dir", KioskConfig.data_dir))),
        host=_text(values, "host", KioskConfig.host),
        port=_number(values, "port", int, KioskConfig.port),
        online_deadline_ms=_number(values, "online_deadline_ms", int, KioskConfig.online_deadline_ms),
        heartbeat_seconds=_number(values, "heartbeat_seconds", float, KioskConfig.heartbeat_seconds),
        retry_seconds=_number(values, "retry_seconds", float, KioskConfig.retry_seconds),
        result_seconds=_number(values, "result_seconds", float, KioskConfig.result_seconds),
        repeat_ignore_seconds=_number(values, "repeat_ignore_seconds", float, KioskConfig.repeat_ignore_seconds),
        time_zone=_text(values, "time_zone", KioskConfig.time_zone),
        mode=mode,
        relay=_text(values, "relay", KioskConfig.relay),
    )
    if not config.backend_url.startswith(("http://", "https://")):
        raise ConfigError(f"backend_url must start with http:// or https://, not {config.backend_url!r}")
    try:
        _ = config.zone
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"time_zone is not a known time zone: {config.time_zone!r}") from None
    return config
