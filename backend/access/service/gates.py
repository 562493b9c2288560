"""Gates as the security office sets them up: a pedestrian gate bound to its gate terminal (a
GATE_CONTROLLER device of the accounts module bound to no other gate), a vehicle gate with its
barrier relay and the plate cameras allowed to push to it (by address, or signed with the camera
secret shown once when made or rotated), and the guard post's receipt printer. Every address is
checked with the parser that will open it, so a gate never holds one its hardware cannot use."""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable
from typing import Any

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Direction, Gate, GateKind
from backend.accounts.service import devices
from backend.accounts.service.devices import DeviceKind
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError
from backend.places import service as places
from hardware.uri import gate_relay_from_uri, printer_from_uri

CAMERA_SECRET_CONTEXT = "access.camera_secret"
MAX_CAMERAS = 20
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def gate_view(gate: Gate, device: dict | None = None, building: str = "") -> dict:
    """What pages and the audit log show of a gate; never the camera secret, only whether one is set."""
    return {
        "id": gate.id,
        "code": gate.code,
        "name": gate.name,
        "kind": gate.kind.value,
        "kind_label": gate.kind.label,
        "direction": gate.direction.value,
        "direction_label": gate.direction.label,
        "building_id": gate.building_id,
        "building": building,
        "device_id": gate.device_id,
        "device_code": device["code"] if device else "",
        "device_state": device["state"] if device else "",
        "device_state_label": device["state_label"] if device else "",
        "relay_uri": gate.relay_uri,
        "relay_state": gate.relay_state,
        "relay_message": gate.relay_message,
        "relay_checked_at": gate.relay_checked_at.isoformat() if gate.relay_checked_at else None,
        "camera_addresses": list(gate.camera_addresses or []),
        "camera_secret_set": bool(gate.camera_secret_encrypted),
        "printer_uri": gate.printer_uri,
        "anti_passback": gate.anti_passback,
        "is_active": gate.is_active,
    }


async def _views(gates: list[Gate]) -> list[dict]:
    found = await devices.devices_by_id(g.device_id for g in gates if g.device_id)
    names = await places.full_names({g.building_id for g in gates})
    return [gate_view(g, found.get(g.device_id), names.get(g.building_id, "")) for g in gates]


async def list_gates() -> list[dict]:
    return await _views(list(await Gate.all().order_by("code")))


async def get_gate(gate_id: int) -> dict:
    gate = await Gate.get_or_none(id=gate_id)
    if gate is None:
        raise AccessError.GATE_NOT_FOUND.error()
    return (await _views([gate]))[0]


def _problem(text: str) -> AppError:
    return AccessError.GATE_SETTING_INVALID.error(problem=text)


def _check_uri(uri: str, parse: Any, error: AccessError) -> str:
    uri = uri.strip()
    if uri:
        try:
            parse(uri)
        except ValueError:
            raise error.error() from None
    return uri


def _check_addresses(addresses: Iterable[str], kind: GateKind) -> list[str]:
    checked: list[str] = []
    for raw in addresses:
        if not (raw := raw.strip()):
            continue
        try:
            address = str(ipaddress.ip_address(raw))
        except ValueError:
            raise AccessError.CAMERA_ADDRESS_INVALID.error(address=raw[:45]) from None
        if address not in checked:
            checked.append(address)
    if checked and kind is not GateKind.VEHICLE:
        raise _problem("只有车行道闸可以设置车牌相机")
    if len(checked) > MAX_CAMERAS:
        raise _problem(f"车牌相机最多 {MAX_CAMERAS} 个")
    return checked


def _enum(enum: Any, value: str, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        raise _problem(f"请选择{what}") from None


async def _settings(
    conn: Any,
    gate_id: int | None,
    *,
    name: str,
    kind: GateKind,
    direction: str,
    building_id: int,
    device_code: str | None,
    relay_uri: str,
    camera_addresses: Iterable[str],
    printer_uri: str,
    anti_passback: bool,
) -> dict:
    """The checked values of a gate's fields, or the first refusal."""
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise _problem("名称应为 1 到 100 个字")
    try:
        await places.active_place(building_id, conn)
    except AppError:
        raise _problem("楼宇不存在或已停用") from None
    device_id = None
    if device_code := (device_code or "").strip():
        device = await devices.device_by_code(device_code)
        if device is None or device["kind"] != DeviceKind.GATE_CONTROLLER.value:
            raise AccessError.GATE_DEVICE_INVALID.error(device=device_code[:40])
        other = await Gate.filter(device_id=device["id"]).exclude(id=gate_id or 0).using_db(conn).first()
        if other is not None:
            raise AccessError.GATE_DEVICE_BOUND.error(device=device_code, gate=other.name)
        device_id = device["id"]
    return {
        "name": name,
        "direction": _enum(Direction, direction, "通行方向"),
        "building_id": building_id,
        "device_id": device_id,
        "relay_uri": _check_uri(relay_uri, gate_relay_from_uri, AccessError.GATE_RELAY_INVALID),
        "camera_addresses": _check_addresses(camera_addresses, kind),
        "printer_uri": _check_uri(printer_uri, printer_from_uri, AccessError.GATE_PRINTER_INVALID),
        "anti_passback": bool(anti_passback),
    }


async def _locked(conn: Any, gate_id: int) -> Gate:
    gate = await Gate.filter(id=gate_id).using_db(conn).select_for_update().get_or_none()
    if gate is None:
        raise AccessError.GATE_NOT_FOUND.error()
    return gate


def _new_secret(cipher: FieldCipher) -> tuple[str, str]:
    secret = secrets.token_urlsafe(24)
    return secret, cipher.encrypt(secret, context=CAMERA_SECRET_CONTEXT)


async def create_gate(
    actor: Actor,
    cipher: FieldCipher,
    *,
    code: str,
    name: str,
    kind: str,
    direction: str,
    building_id: int,
    device_code: str | None = None,
    relay_uri: str = "",
    camera_addresses: Iterable[str] = (),
    printer_uri: str = "",
    anti_passback: bool = False,
) -> tuple[dict, str | None]:
    """The new gate's view and, for a vehicle gate, its camera secret (shown this once)."""
    code = code.strip()
    if not _CODE.match(code):
        raise AccessError.GATE_CODE_INVALID.error()
    gate_kind = _enum(GateKind, kind, "门禁点类型")
    async with in_transaction() as conn:
        if await Gate.filter(code=code).using_db(conn).exists():
            raise AccessError.GATE_CODE_TAKEN.error(code=code)
        values = await _settings(
            conn,
            None,
            name=name,
            kind=gate_kind,
            direction=direction,
            building_id=building_id,
            device_code=device_code,
            relay_uri=relay_uri,
            camera_addresses=camera_addresses,
            printer_uri=printer_uri,
            anti_passback=anti_passback,
        )
        secret, sealed = _new_secret(cipher) if gate_kind is GateKind.VEHICLE else (None, None)
        gate = await Gate.create(code=code, kind=gate_kind, camera_secret_encrypted=sealed, using_db=conn, **values)
        view = (await _views([gate]))[0]
        await record(conn, actor, "access.create_gate", "gate", gate.id, None, view)
    return view, secret


async def update_gate(
    actor: Actor,
    gate_id: int,
    *,
    name: str,
    direction: str,
    building_id: int,
    device_code: str | None = None,
    relay_uri: str = "",
    camera_addresses: Iterable[str] = (),
    printer_uri: str = "",
    anti_passback: bool = False,
) -> dict:
    """Change a gate's settings (its code and kind stay: terminals and cameras are set up by them)."""
    async with in_transaction() as conn:
        gate = await _locked(conn, gate_id)
        values = await _settings(
            conn,
            gate_id,
            name=name,
            kind=gate.kind,
            direction=direction,
            building_id=building_id,
            device_code=device_code,
            relay_uri=relay_uri,
            camera_addresses=camera_addresses,
            printer_uri=printer_uri,
            anti_passback=anti_passback,
        )
        before = (await _views([gate]))[0]
        if gate.relay_uri != values["relay_uri"]:
            # The last reading was of the old relay.
            values.update(relay_state="", relay_message="", relay_checked_at=None)
        for field, value in values.items():
            setattr(gate, field, value)
        await gate.save(using_db=conn, update_fields=list(values))
        after = (await _views([gate]))[0]
        await record(conn, actor, "access.update_gate", "gate", gate_id, before, after)
    return after


async def set_active(actor: Actor, gate_id: int, active: bool) -> dict:
    """Enable or disable a gate: a disabled gate refuses everyone (access.gate_inactive)."""
    async with in_transaction() as conn:
        gate = await _locked(conn, gate_id)
        before = (await _views([gate]))[0]
        gate.is_active = active
        await gate.save(using_db=conn, update_fields=["is_active"])
        after = {**before, "is_active": active}
        await record(conn, actor, "access.update_gate", "gate", gate_id, before, after)
    return after


async def rotate_camera_secret(actor: Actor, cipher: FieldCipher, gate_id: int) -> str:
    """A new camera secret for a vehicle gate, returned this once; the old one stops working."""
    async with in_transaction() as conn:
        gate = await _locked(conn, gate_id)
        if gate.kind is not GateKind.VEHICLE:
            raise _problem("只有车行道闸有车牌相机密钥")
        secret, gate.camera_secret_encrypted = _new_secret(cipher)
        await gate.save(using_db=conn, update_fields=["camera_secret_encrypted"])
        await record(conn, actor, "access.rotate_camera_secret", "gate", gate_id)
    return secret


async def gate_options() -> list[tuple[str, str]]:
    return [(str(g.id), f"{g.name}（{g.code}）") for g in await Gate.all().order_by("code")]


async def gate_terminals() -> list[dict]:
    """Gate controllers registered in accounts, for the bind-terminal choice (bound ones included:
    the form says which gate has each)."""
    bound = dict(await Gate.filter(device_id__isnull=False).values_list("device_id", "name"))
    return [
        {**d, "bound_to": bound.get(d["id"], "")}
        for d in await devices.list_devices()
        if d["kind"] == DeviceKind.GATE_CONTROLLER.value
    ]
