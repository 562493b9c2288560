"""Devices (terminals, kiosks, gate controllers): registration, signed requests, heartbeats.

The device secret is shown to the admin once, at registration or rotation; we keep it encrypted
(not hashed) because verifying an HMAC needs the secret itself.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.asyncio as aioredis
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.errors import AccountsError
from backend.accounts.models import Device, DeviceKind
from backend.core import sql
from backend.core.audit import Actor, record, update_audited
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError, DeviceError
from backend.core.signing import (
    canonical_string,
    check_signature,
    check_timestamp,
    consume_nonce,
    parse_signature_headers,
)
from backend.core.timeutil import now

SECRET_CONTEXT = "device.secret"


@dataclass(frozen=True)
class DevicePrincipal:
    device_id: int
    code: str
    kind: DeviceKind


DEVICE_STATES = {"online": "在线", "offline": "离线", "never_seen": "从未上线", "disabled": "已停用"}


def device_state(device: Device) -> str:
    if not device.is_enabled:
        return "disabled"
    if device.last_seen_at is None:
        return "never_seen"
    return "offline" if device.offline_since else "online"


# A terminal's heartbeat status (as the kiosk agent sends it) names each device's state.
_DEVICE_PARTS = (("reader", "读卡器"), ("scanner", "扫码器"), ("printer", "打印机"))
_DEVICE_STATES = {
    "ok": ("正常", "ok"),
    "paper_low": ("纸将用完", "warn"),
    "paper_out": ("缺纸", "bad"),
    "disconnected": ("未连接", "bad"),
    "error": ("故障", "bad"),
}


def device_health(status: dict | None) -> list[dict]:
    """What an admin acts on in a heartbeat status, as [{"text", "level"}] (level ok, warn,
    bad or muted): reader, scanner and printer states, offline payments not yet uploaded, and
    the last time the terminal reached the backend. Parts a device does not report are left out."""
    status = status or {}
    health = [
        {"text": label + _DEVICE_STATES[status[key]][0], "level": _DEVICE_STATES[status[key]][1]}
        for key, label in _DEVICE_PARTS
        if isinstance(status.get(key), str) and status[key] in _DEVICE_STATES
    ]
    queue = status.get("offline_queue")
    if isinstance(queue, int) and not isinstance(queue, bool) and queue > 0:
        health.append({"text": f"脱机待上传 {queue} 笔", "level": "warn"})
    if isinstance(status.get("last_sync"), str) and status["last_sync"]:
        health.append({"text": f"同步于 {status['last_sync'][:16].replace('T', ' ')}", "level": "muted"})
    return health


def device_view(device: Device) -> dict:
    state = device_state(device)
    return {
        "state": state,
        "state_label": DEVICE_STATES[state],
        "id": device.id,
        "code": device.code,
        "name": device.name,
        "kind": device.kind.value,
        "kind_label": device.kind.label,
        "location": device.location,
        "is_enabled": device.is_enabled,
        "online": device.last_seen_at is not None and device.offline_since is None,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
        "offline_since": device.offline_since.isoformat() if device.offline_since else None,
        "last_status": device.last_status,
        "health": device_health(device.last_status),
    }


async def device_exists(code: str) -> bool:
    return await Device.exists(code=code)


async def register_device(
    actor: Actor, cipher: FieldCipher, code: str, name: str, kind: DeviceKind, location: str
) -> tuple[dict, str]:
    """Register a device; returns its view and its secret, which is never shown again."""
    secret = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        if await Device.filter(code=code).using_db(conn).exists():
            raise AccountsError.DEVICE_CODE_TAKEN.error()
        try:
            device = await Device.create(
                code=code,
                name=name,
                kind=kind,
                location=location,
                secret_encrypted=cipher.encrypt(secret, context=SECRET_CONTEXT),
                using_db=conn,
            )
        except IntegrityError:
            raise AccountsError.DEVICE_CODE_TAKEN.error() from None
        await record(conn, actor, "accounts.register_device", "device", device.id, after=device_view(device))
    return device_view(device), secret


async def rotate_secret(actor: Actor, cipher: FieldCipher, device_id: int) -> str:
    secret = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        updated = (
            await Device.filter(id=device_id)
            .using_db(conn)
            .update(secret_encrypted=cipher.encrypt(secret, context=SECRET_CONTEXT))
        )
        if not updated:
            raise AccountsError.DEVICE_NOT_FOUND.error()
        await record(conn, actor, "accounts.rotate_device_secret", "device", device_id)
    forget_known_devices()
    return secret


async def set_enabled(actor: Actor, device_id: int, enabled: bool) -> dict:
    view = await update_audited(
        actor,
        Device,
        device_id,
        {"is_enabled": enabled},
        view=device_view,
        action="accounts.set_device_enabled",
        object_type="device",
        not_found=AccountsError.DEVICE_NOT_FOUND.error(),
    )
    forget_known_devices()
    return view


async def device_by_code(code: str) -> dict | None:
    """The view of the device registered as `code` (`device_view`), None if there is none."""
    device = await Device.get_or_none(code=code)
    return None if device is None else device_view(device)


async def devices_by_id(device_ids: Iterable[int]) -> dict[int, dict]:
    """device id -> `device_view` of each of these devices."""
    return {d.id: device_view(d) for d in await Device.filter(id__in=sorted(set(device_ids)))}


async def get_device(device_id: int) -> dict:
    device = await Device.get_or_none(id=device_id)
    if device is None:
        raise AccountsError.DEVICE_NOT_FOUND.error()
    return device_view(device)


async def list_devices() -> list[dict]:
    return [device_view(d) for d in await Device.all().order_by("code")]


# The states of `device_state`, as query filters.
_STATE_FILTERS = {
    "online": {"is_enabled": True, "last_seen_at__isnull": False, "offline_since__isnull": True},
    "offline": {"is_enabled": True, "offline_since__isnull": False},
    "never_seen": {"is_enabled": True, "last_seen_at__isnull": True},
    "disabled": {"is_enabled": False},
}


def devices_query(state: str = "", kind: str = "", query: str = "") -> QuerySet:
    """Devices in a DEVICE_STATES state, of a kind, whose code, name or location contains `query`."""
    devices = Device.filter(**_STATE_FILTERS[state]) if state else Device.all()
    if kind:
        devices = devices.filter(kind=kind)
    if query:
        devices = devices.filter(Q(code__contains=query) | Q(name__contains=query) | Q(location__contains=query))
    return devices


async def status_counts() -> dict[str, int]:
    """How many devices are in each DEVICE_STATES state."""
    return {state: await devices_query(state).count() for state in DEVICE_STATES}


async def offline_devices(limit: int) -> list[dict]:
    """Enabled devices that stopped sending heartbeats, longest silent first."""
    return [device_view(d) for d in await devices_query("offline").order_by("offline_since").limit(limit)]


@dataclass(frozen=True)
class _KnownDevice:
    principal: DevicePrincipal
    is_enabled: bool
    secret: bytes


# A terminal signs every request: its row and decrypted secret are kept for a few seconds per
# process instead of being read each time. A disabled device or a rotated secret takes effect in
# this process at once and in the others within KNOWN_DEVICE_SECONDS; a signature that fails
# against a kept secret is checked again against the stored one before it is refused.
KNOWN_DEVICE_SECONDS = 5.0
_known: dict[str, tuple[float, _KnownDevice]] = {}
# Bumped by every forget: a load that began before a disable or a rotation does not keep what it read.
_generation = 0


async def _load_device(cipher: FieldCipher, code: str) -> _KnownDevice:
    generation = _generation
    # One plain statement, not an ORM query.
    row = await sql.row(
        connections.get("default"),
        "SELECT id, code, kind, is_enabled, secret_encrypted FROM accounts_device WHERE code = $1",
        code,
    )
    if row is None:
        raise DeviceError.UNKNOWN.error()
    known = _KnownDevice(
        DevicePrincipal(row["id"], row["code"], DeviceKind(row["kind"])),
        bool(row["is_enabled"]),
        cipher.decrypt(row["secret_encrypted"], context=SECRET_CONTEXT).encode(),
    )
    if generation == _generation:
        _known[code] = (time.monotonic() + KNOWN_DEVICE_SECONDS, known)
    return known


def forget_known_devices() -> None:
    global _generation
    _generation += 1
    _known.clear()


async def authenticate_request(
    cipher: FieldCipher,
    redis: aioredis.Redis,
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    clock_skew: int,
) -> DevicePrincipal:
    """Verify a signed device request; the nonce is spent only once the signature is good."""
    signed = parse_signature_headers(headers)
    check_timestamp(signed.timestamp, clock_skew)
    canonical = canonical_string(method, path, query, signed.timestamp, signed.nonce, body)
    kept = _known.get(signed.device_code)
    device = kept[1] if kept and kept[0] > time.monotonic() else await _load_device(cipher, signed.device_code)
    try:
        check_signature(device.secret, canonical, signed.signature)
    except AppError:
        if device is not (kept and kept[1]):
            raise
        device = await _load_device(cipher, signed.device_code)
        check_signature(device.secret, canonical, signed.signature)
    if not device.is_enabled:
        raise DeviceError.DISABLED.error()
    await consume_nonce(redis, device.principal.code, signed.nonce, timestamp=signed.timestamp, skew=clock_skew)
    return device.principal


async def record_heartbeat(device: DevicePrincipal, status: dict) -> dict:
    await Device.filter(id=device.device_id).update(last_seen_at=now(), last_status=status, offline_since=None)
    return {"server_time": now().isoformat()}


async def mark_offline(at: datetime, offline_after: int) -> int:
    """Mark devices silent for longer than `offline_after` seconds as offline since their last
    heartbeat. Running it twice changes nothing more."""
    return await Device.filter(last_seen_at__lt=at - timedelta(seconds=offline_after), offline_since=None).update(
        offline_since=F("last_seen_at")
    )
