"""The meter registry of energy: meter models (how a model is read: protocol, register map,
whether it obeys a switch) and meters (where they are, which unit they bill to or which units
share them and how, how the collector reaches them, the CT multiplier, the safety flag), every
field checked before it is stored; the control secret of a switchable DL/T 645 meter is kept
encrypted. Also the meter lists and detail the console and other services show, and which units
a scoped admin reaches."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.energy.errors import EnergyError
from backend.energy.models import (
    MEASURE,
    Apportion,
    CommState,
    Meter,
    MeterKind,
    MeterModel,
    MeterRole,
    MeterShare,
    Protocol,
)
from backend.places import service as places
from hardware.meters import RegisterMap

# The context the control secret (DL/T 645 password and operator code) is encrypted under.
SECRET_CONTEXT = "energy.control_secret"

CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SECRET = re.compile(r"^[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8}$")
HOST_PORT = re.compile(r"^([A-Za-z0-9.-]{1,80}|\[[0-9A-Fa-f:]{2,45}\]):(\d{1,5})$")
SERIAL = re.compile(r"^serial:///dev/[A-Za-z0-9_./-]{1,40}(\?baud=(1200|2400|4800|9600|19200))?$")
DLT645_ADDRESS = re.compile(r"^\d{12}$")
NAME_MAX = 100
MULTIPLIER_MAX = 100_000
# A spike limit above this (10^9 kWh in one interval) is a typing slip, not a limit.
SPIKE_LIMIT_MAX_MILLI = 10**12


@dataclass(frozen=True)
class MeterFields:
    """A meter as a form or the demo gives it, text as typed: `unit_id` for a meter of one unit,
    or `shared_unit_ids` with `apportion` for a shared one. A blank `control_secret` on a change
    keeps the stored one (`clear_secret` removes it)."""

    code: str
    name: str
    kind: str
    place_id: str
    installed_on: str
    role: str = MeterRole.CONSUMPTION.value
    unit_id: str = ""
    shared_unit_ids: tuple[str, ...] = ()
    apportion: str = Apportion.NONE.value
    model_id: str = ""
    endpoint: str = ""
    device_address: str = ""
    control_secret: str = ""
    clear_secret: bool = False
    multiplier: str = "1"
    spike_limit: str = ""
    is_safety: bool = False
    replaced_on: str = ""


@dataclass
class _Problems:
    """The form's refusals by field, raised together as one energy.meter_invalid."""

    found: list[dict] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        if not any(p["field"] == name for p in self.found):
            self.found.append({"field": name, "message": message})

    def raise_any(self) -> None:
        if self.found:
            raise EnergyError.METER_INVALID.error(details={"fields": self.found}, problem=self.found[0]["message"])


def _choice(enum: Any, text: str) -> Any:
    try:
        return enum(text)
    except ValueError:
        return None


def _id(text: str) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def quantity_milli(text: str) -> int | None:
    """A positive quantity typed in the kind's unit with up to 3 decimals, in thousandths."""
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value.as_tuple().exponent < -3:  # type: ignore[operator]
        return None
    return int(value * 1000)


def milli_text(milli: int | None, decimals: int = 3) -> str:
    """Thousandths as the quantity staff read: "12,345.678" (decimals 3) or "12,345.68"."""
    if milli is None:
        return ""
    value = (Decimal(milli) / 1000).quantize(Decimal(1).scaleb(-decimals))
    return f"{value:,}"


# ---- models -------------------------------------------------------------------------------------


def model_view(model: MeterModel) -> dict:
    return {
        "id": model.id,
        "name": model.name,
        "protocol": model.protocol.value,
        "protocol_label": model.protocol.label,
        "register_map": model.register_map,
        "can_switch": model.can_switch,
    }


async def create_model(actor: Actor, name: str, protocol: Protocol, register_map: dict, can_switch: bool) -> dict:
    """A meter model: a Modbus TCP model reads by its register map (and switches by its coil); a
    DL/T 645 model reads the standard's total active energy and switches with the trip/close
    control. Manual meters have no model."""
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise EnergyError.METER_MODEL_INVALID.error(problem="请填写型号名称（1 到 100 字）")
    if protocol is Protocol.MANUAL:
        raise EnergyError.METER_MODEL_INVALID.error(problem="人工抄表的电表不需要登记型号")
    stored: dict = {}
    if protocol is Protocol.MODBUS_TCP:
        try:
            parsed = RegisterMap.from_dict(register_map)
        except ValueError as problem:
            raise EnergyError.METER_MODEL_INVALID.error(problem=str(problem)) from None
        if can_switch and parsed.coil is None:
            raise EnergyError.METER_MODEL_INVALID.error(problem="可拉合闸的 Modbus 型号须填写继电器线圈地址")
        stored = parsed.to_dict()
    async with in_transaction() as conn:
        if await MeterModel.filter(name=name).using_db(conn).exists():
            raise EnergyError.METER_MODEL_NAME_TAKEN.error(name=name)
        try:
            model = await MeterModel.create(
                name=name, protocol=protocol, register_map=stored, can_switch=can_switch, using_db=conn
            )
        except IntegrityError:
            raise EnergyError.METER_MODEL_NAME_TAKEN.error(name=name) from None
        view = model_view(model)
        await record(conn, actor, "energy.create_meter_model", "meter_model", model.id, after=view)
    return view


async def models() -> list[dict]:
    """Every meter model, by name, with how many meters use it."""
    counts: dict[int, int] = {}
    for model_id in await Meter.filter(model_id__not_isnull=True).values_list("model_id", flat=True):
        counts[model_id] = counts.get(model_id, 0) + 1
    return [{**model_view(m), "meters": counts.get(m.id, 0)} for m in await MeterModel.all().order_by("name")]


# ---- meters -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    values: dict
    shared: tuple[int, ...]
    secret: str | None  # None: keep the stored one


async def _check(fields: MeterFields, existing: Meter | None) -> _Checked:
    problems = _Problems()
    code = (fields.code or "").strip()
    if not CODE.match(code):
        raise EnergyError.METER_CODE_INVALID.error(
            details={"fields": [{"field": "code", "message": EnergyError.METER_CODE_INVALID.message}]}
        )
    name = (fields.name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        problems.add("name", "请填写名称（1 到 100 字）")
    kind = _choice(MeterKind, fields.kind)
    if kind is None:
        problems.add("kind", "请选择计量种类")
    role = _choice(MeterRole, fields.role)
    if role is None:
        problems.add("role", "请选择计量用途")
    elif role is not MeterRole.CONSUMPTION and kind not in (None, MeterKind.ELECTRICITY):
        problems.add("role", "光伏发电与上网计量只能是电表")

    place_id = _id(fields.place_id)
    if place_id is None:
        problems.add("place_id", "请选择安装地点")
    else:
        try:
            await places.active_place(place_id)
        except AppError:
            problems.add("place_id", "安装地点不存在或已停用")

    apportion = _choice(Apportion, fields.apportion)
    unit_id = _id(fields.unit_id) if (fields.unit_id or "").strip() else None
    shared_texts = [t for t in fields.shared_unit_ids if (t or "").strip()]
    shared = tuple(dict.fromkeys(i for i in (_id(t) for t in shared_texts) if i is not None))
    if ((fields.unit_id or "").strip() and unit_id is None) or len(shared) != len(set(shared_texts)):
        problems.add("unit_id", "单位不存在")
    if apportion is None:
        problems.add("apportion", "请选择分摊方式")
    elif apportion is Apportion.NONE:
        if shared:
            problems.add("apportion", "多个单位共用的电表请选择按面积或按在编人数分摊")
        elif unit_id is None and role is MeterRole.CONSUMPTION:
            problems.add("unit_id", "请选择使用单位，或设为多个单位共用")
    else:
        if unit_id is not None:
            problems.add("unit_id", "共用的电表不归属单个单位：请只选共用单位")
        if len(shared) < 2:
            problems.add("shared_unit_ids", "共用的电表至少要有两个共用单位")
        if role is not MeterRole.CONSUMPTION:
            problems.add("apportion", "光伏计量不分摊")
    wanted_units = ([unit_id] if unit_id is not None else []) + list(shared)
    if wanted_units:
        known = await people.units_by_id(wanted_units)
        for wanted in wanted_units:
            unit = known.get(wanted)
            if unit is None or not unit.is_enabled:
                problems.add("shared_unit_ids" if wanted in shared else "unit_id", "单位不存在或已停用")

    model = None
    model_id = _id(fields.model_id) if (fields.model_id or "").strip() else None
    if (fields.model_id or "").strip() and model_id is None:
        problems.add("model_id", "电表型号不存在")
    elif model_id is not None:
        model = await MeterModel.get_or_none(id=model_id)
        if model is None:
            problems.add("model_id", "电表型号不存在")
    endpoint = (fields.endpoint or "").strip()
    address = (fields.device_address or "").strip()
    secret_text = (fields.control_secret or "").strip()
    if model is None:
        if endpoint or address:
            problems.add("endpoint", "人工抄表的电表不填通信地址与表地址（请选择型号）")
        if secret_text:
            problems.add("control_secret", "人工抄表的电表没有拉合闸密码")
    else:
        port = HOST_PORT.match(endpoint)
        serial_ok = model.protocol is Protocol.DLT645 and SERIAL.match(endpoint)
        if not (serial_ok or (port and 1 <= int(port.group(2)) <= 65535)):
            problems.add(
                "endpoint",
                "通信地址应为“主机:端口”（如 192.168.10.21:502）"
                + ("，或本机串口 serial:///dev/ttyUSB0?baud=2400" if model.protocol is Protocol.DLT645 else ""),
            )
        if model.protocol is Protocol.MODBUS_TCP:
            if not (address.isdigit() and 1 <= int(address) <= 247):
                problems.add("device_address", "Modbus 从站地址应为 1 到 247 的整数")
            if secret_text:
                problems.add("control_secret", "Modbus 电表以线圈拉合闸，不需要密码")
        elif not DLT645_ADDRESS.match(address):
            problems.add("device_address", "DL/T 645 表地址应为 12 位数字（表计铭牌上的通信地址）")
        if secret_text and model.protocol is Protocol.DLT645:
            if not model.can_switch:
                problems.add("control_secret", "该型号不能拉合闸，不需要密码")
            elif not SECRET.match(secret_text):
                problems.add("control_secret", "格式应为“密码8位十六进制:操作者代码8位十六进制”，如 02123456:00000001")

    multiplier_text = (fields.multiplier or "").strip()
    multiplier = int(multiplier_text) if multiplier_text.isdigit() and len(multiplier_text) <= 6 else 0
    if not 1 <= multiplier <= MULTIPLIER_MAX:
        problems.add("multiplier", "倍率应为 1 到 100000 的整数")
    spike_limit = None
    if (fields.spike_limit or "").strip():
        spike_limit = quantity_milli(fields.spike_limit)
        if spike_limit is None or spike_limit > SPIKE_LIMIT_MAX_MILLI:
            problems.add("spike_limit", "突增上限应为正数，最多 3 位小数")
    installed_on = _date(fields.installed_on)
    if installed_on is None:
        problems.add("installed_on", "请填写安装日期")
    replaced_on = None
    if (fields.replaced_on or "").strip():
        replaced_on = _date(fields.replaced_on)
        if replaced_on is None or (installed_on and replaced_on < installed_on):
            problems.add("replaced_on", "更换日期应不早于安装日期")
    if existing is not None and multiplier and multiplier != existing.multiplier and existing.last_read_at:
        problems.add("multiplier", "已有读数的电表变更倍率，请在电表页“记录换表、清零或变更倍率”中登记")
    problems.raise_any()

    if fields.clear_secret:
        secret: str | None = ""
    else:
        secret = secret_text.upper() if secret_text else None
    if model is None or model.protocol is not Protocol.DLT645 or not model.can_switch:
        secret = ""
    values = {
        "code": code,
        "name": name,
        "kind": kind,
        "role": role,
        "place_id": place_id,
        "unit_id": unit_id if apportion is Apportion.NONE else None,
        "apportion": apportion,
        "model_id": model.id if model else None,
        "endpoint": endpoint,
        "device_address": address,
        "multiplier": multiplier,
        "spike_limit_milli": spike_limit,
        "is_safety": bool(fields.is_safety),
        "installed_on": installed_on,
        "replaced_on": replaced_on,
    }
    return _Checked(values, shared if apportion is not Apportion.NONE else (), secret)


def _audited(meter: Meter, shared: Iterable[int]) -> dict:
    """A meter as the audit log keeps it: never the secret, only whether there is one."""
    return {
        "code": meter.code,
        "name": meter.name,
        "kind": meter.kind.value,
        "role": meter.role.value,
        "place_id": meter.place_id,
        "unit_id": meter.unit_id,
        "shared_unit_ids": sorted(shared),
        "apportion": meter.apportion.value,
        "model_id": meter.model_id,
        "endpoint": meter.endpoint,
        "device_address": meter.device_address,
        "has_control_secret": bool(meter.control_secret_encrypted),
        "multiplier": meter.multiplier,
        "spike_limit_milli": meter.spike_limit_milli,
        "is_safety": meter.is_safety,
        "installed_on": meter.installed_on.isoformat(),
        "replaced_on": meter.replaced_on.isoformat() if meter.replaced_on else None,
        "is_active": meter.is_active,
    }


async def create_meter(actor: Actor, cipher: FieldCipher, fields: MeterFields) -> dict:
    """Register a meter (audited); refused with every problem of the form at once."""
    checked = await _check(fields, None)
    code = checked.values["code"]
    async with in_transaction() as conn:
        if await Meter.filter(code=code).using_db(conn).exists():
            raise EnergyError.METER_CODE_TAKEN.error(code=code)
        secret = cipher.encrypt(checked.secret, context=SECRET_CONTEXT) if checked.secret else ""
        try:
            meter = await Meter.create(**checked.values, control_secret_encrypted=secret, using_db=conn)
        except IntegrityError:
            raise EnergyError.METER_CODE_TAKEN.error(code=code) from None
        for unit_id in checked.shared:
            await MeterShare.create(meter_id=meter.id, unit_id=unit_id, using_db=conn)
        await record(conn, actor, "energy.create_meter", "meter", meter.id, after=_audited(meter, checked.shared))
    return await meter_detail(meter.id)


async def update_meter(actor: Actor, cipher: FieldCipher, meter_id: int, fields: MeterFields) -> dict:
    """Change a meter's registration (audited). Its readings stay as read; a new CT ratio on a
    meter already read is an event of its own, not a change here."""
    existing = await Meter.get_or_none(id=meter_id)
    if existing is None:
        raise EnergyError.METER_NOT_FOUND.error()
    checked = await _check(fields, existing)
    async with in_transaction() as conn:
        meter = await Meter.filter(id=meter_id).using_db(conn).select_for_update().first()
        if meter is None:
            raise EnergyError.METER_NOT_FOUND.error()
        code = checked.values["code"]
        if code != meter.code and await Meter.filter(code=code).using_db(conn).exists():
            raise EnergyError.METER_CODE_TAKEN.error(code=code)
        shared_before = list(
            await MeterShare.filter(meter_id=meter_id).using_db(conn).values_list("unit_id", flat=True)
        )
        before = _audited(meter, shared_before)
        for name, value in checked.values.items():
            setattr(meter, name, value)
        if checked.secret is not None:
            meter.control_secret_encrypted = (
                cipher.encrypt(checked.secret, context=SECRET_CONTEXT) if checked.secret else ""
            )
        try:
            await meter.save(using_db=conn)
        except IntegrityError:
            raise EnergyError.METER_CODE_TAKEN.error(code=code) from None
        if set(shared_before) != set(checked.shared):
            await MeterShare.filter(meter_id=meter_id).using_db(conn).delete()
            for unit_id in checked.shared:
                await MeterShare.create(meter_id=meter_id, unit_id=unit_id, using_db=conn)
        after = _audited(meter, checked.shared)
        changed = [k for k in after if before.get(k) != after[k]]
        if changed:
            await record(
                conn,
                actor,
                "energy.update_meter",
                "meter",
                meter_id,
                {k: before[k] for k in changed},
                {k: after[k] for k in changed},
            )
    return await meter_detail(meter_id)


async def set_active(actor: Actor, meter_id: int, active: bool) -> dict:
    """Take a meter out of collection and budgets (停用) or back in (audited)."""
    async with in_transaction() as conn:
        meter = await Meter.filter(id=meter_id).using_db(conn).select_for_update().first()
        if meter is None:
            raise EnergyError.METER_NOT_FOUND.error()
        if meter.is_active != active:
            meter.is_active = active
            await meter.save(using_db=conn, update_fields=["is_active"])
            await record(
                conn,
                actor,
                "energy.set_meter_active",
                "meter",
                meter_id,
                {"is_active": not active},
                {"is_active": active},
            )
    return await meter_detail(meter_id)


def control_secret(meter: Meter, cipher: FieldCipher) -> str:
    """The meter's DL/T 645 "password:operator" in clear, for the switch ("" when none)."""
    if not meter.control_secret_encrypted:
        return ""
    return cipher.decrypt(meter.control_secret_encrypted, context=SECRET_CONTEXT)


# ---- reading the registry ------------------------------------------------------------------------


async def scope_units(scope: Scope) -> list[int] | None:
    """The ids of the units `scope` reaches (None: every unit): a unit-scoped admin sees the
    meters of those units and the shared meters they share."""
    return await people.units_within(scope)


def _in_units(unit_ids: list[int]) -> Q:
    return Q(unit_id__in=unit_ids) | Q(shares__unit_id__in=unit_ids)


async def _shares(meter_ids: list[int]) -> dict[int, list[int]]:
    shares: dict[int, list[int]] = {}
    for meter_id, unit_id in await MeterShare.filter(meter_id__in=meter_ids).values_list("meter_id", "unit_id"):
        shares.setdefault(meter_id, []).append(unit_id)
    return shares


async def _rows(meters: list[Meter]) -> list[dict]:
    ids = [m.id for m in meters]
    shares = await _shares(ids)
    unit_names = {
        u.id: u.name
        for u in (
            await people.units_by_id({m.unit_id for m in meters if m.unit_id} | {u for s in shares.values() for u in s})
        ).values()
    }
    place_names = await places.full_names({m.place_id for m in meters})
    model_names = dict(
        await MeterModel.filter(id__in={m.model_id for m in meters if m.model_id}).values_list("id", "name")
    )
    return [_row(m, shares.get(m.id, []), unit_names, place_names, model_names) for m in meters]


def _row(meter: Meter, shared: list[int], unit_names: dict, place_names: dict, model_names: dict) -> dict:
    if meter.unit_id:
        units_text = unit_names.get(meter.unit_id, "")
    elif shared:
        units_text = f"{'、'.join(unit_names.get(u, '') for u in sorted(shared))}共用（{meter.apportion.label}）"
    else:
        units_text = "不归属单位"
    return {
        "id": meter.id,
        "code": meter.code,
        "name": meter.name,
        "kind": meter.kind.value,
        "kind_label": meter.kind.label,
        "measure": MEASURE[meter.kind],
        "role": meter.role.value,
        "role_label": meter.role.label,
        "place_id": meter.place_id,
        "place_name": place_names.get(meter.place_id, ""),
        "unit_id": meter.unit_id,
        "shared_unit_ids": sorted(shared),
        "apportion": meter.apportion.value,
        "units_text": units_text,
        "model_id": meter.model_id,
        "model_name": model_names.get(meter.model_id, "") if meter.model_id else "人工抄表",
        "endpoint": meter.endpoint,
        "device_address": meter.device_address,
        "has_control_secret": bool(meter.control_secret_encrypted),
        "multiplier": meter.multiplier,
        "spike_limit_milli": meter.spike_limit_milli,
        "is_safety": meter.is_safety,
        "installed_on": meter.installed_on,
        "replaced_on": meter.replaced_on,
        "is_active": meter.is_active,
        "comm_state": meter.comm_state.value,
        "comm_label": "人工抄表" if not meter.model_id else meter.comm_state.label,
        "comm_error": meter.comm_error,
        "comm_failures": meter.comm_failures,
        "last_read_at": meter.last_read_at,
        "last_raw_milli": meter.last_raw_milli,
        "last_reading_text": milli_text(meter.last_raw_milli),
        "supply_state": meter.supply_state.value,
        "supply_label": meter.supply_state.label,
        "protected": meter.protected,
        "supply_read_at": meter.supply_read_at,
        "derived_until": meter.derived_until,
    }


async def meter_rows(
    scope_unit_ids: list[int] | None, kind: MeterKind | None = None, state: CommState | None = None
) -> list[dict]:
    """The meters a scope sees (None: all), by code, each with its last reading (register as
    read), communication state and supply state; filtered by kind and communication state."""
    query = Meter.all()
    if scope_unit_ids is not None:
        query = query.filter(_in_units(scope_unit_ids)).distinct()
    if kind is not None:
        query = query.filter(kind=kind)
    if state is not None:
        query = query.filter(comm_state=state, model_id__not_isnull=True)
    return await _rows(await query.order_by("code"))


async def meter_detail(meter_id: int) -> dict:
    """One meter's row (see `meter_rows`); energy.meter_not_found when there is none."""
    meter = await Meter.get_or_none(id=meter_id)
    if meter is None:
        raise EnergyError.METER_NOT_FOUND.error()
    return (await _rows([meter]))[0]


def reaches(meter: dict, scope_unit_ids: list[int] | None) -> bool:
    """Whether a scope (its unit ids, None for all) sees this meter row."""
    if scope_unit_ids is None:
        return True
    wanted = set(scope_unit_ids)
    return meter["unit_id"] in wanted or bool(wanted & set(meter["shared_unit_ids"]))
