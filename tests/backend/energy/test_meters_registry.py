"""The meter registry: a meter model's register map is checked before it is stored; a meter is
registered only with every field right (each refusal names its field), billing to one unit or
shared by two or more with an apportionment, reached as its model's protocol says; its control
secret is stored encrypted and never written to the audit log; a change keeps the secret unless a
new one is given; a new CT ratio on a meter already read is refused here (it is an event); a
unit-scoped list shows the unit's own meters and the shared meters it shares."""

from __future__ import annotations

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.energy.models import Meter, MeterShare, Protocol
from backend.energy.service import meters
from tests.fixtures.energy import MODBUS_MAP


def _fields(world, **changes) -> meters.MeterFields:
    values = {
        "code": "E-NEW-01",
        "name": "新登记电表",
        "kind": "electricity",
        "place_id": str(world.room_fgw_id),
        "unit_id": str(world.fgw_id),
        "model_id": str(world.model.id),
        "endpoint": "192.168.10.21:502",
        "device_address": "7",
        "installed_on": "2026-02-01",
    }
    return meters.MeterFields(**{**values, **changes})


async def _refusal(world, cipher, **changes) -> dict[str, str]:
    with pytest.raises(AppError) as refused:
        await meters.create_meter(CLI_ACTOR, cipher, _fields(world, **changes))
    fields = (refused.value.details or {}).get("fields", [])
    return {f["field"]: f["message"] for f in fields} or {"": refused.value.code}


async def test_a_modbus_model_is_stored_with_its_checked_register_map_and_a_bad_map_is_refused(energy_world):
    made = await meters.create_model(CLI_ACTOR, "PD194E", Protocol.MODBUS_TCP, {**MODBUS_MAP, "coil": 2}, True)
    assert made["register_map"]["coil"] == 2 and made["can_switch"]
    for bad in ({**MODBUS_MAP, "data_type": "int8"}, {**MODBUS_MAP, "address": 70000}):
        with pytest.raises(AppError) as refused:
            await meters.create_model(CLI_ACTOR, "坏型号", Protocol.MODBUS_TCP, bad, False)
        assert refused.value.code == "energy.meter_model_invalid"
    without_coil = {k: v for k, v in MODBUS_MAP.items() if k != "coil"}
    with pytest.raises(AppError, match="线圈"):
        await meters.create_model(CLI_ACTOR, "无线圈", Protocol.MODBUS_TCP, without_coil, True)
    with pytest.raises(AppError) as taken:
        await meters.create_model(CLI_ACTOR, "PD194E", Protocol.DLT645, {}, True)
    assert taken.value.code == "energy.meter_model_name_taken"
    assert [m["name"] for m in await meters.models()] == ["DDS-Modbus", "PD194E"]


async def test_a_valid_meter_is_registered_and_audited(energy_world, runtime):
    made = await meters.create_meter(CLI_ACTOR, runtime.cipher, _fields(energy_world, multiplier="40"))
    assert made["code"] == "E-NEW-01" and made["units_text"] == "市发展和改革委员会"
    assert made["multiplier"] == 40 and made["comm_label"] == "尚未采集" and made["model_name"] == "DDS-Modbus"
    entry = await AuditEntry.get(action="energy.create_meter", object_id=str(made["id"]))
    assert entry.after["endpoint"] == "192.168.10.21:502" and entry.after["has_control_secret"] is False


async def test_each_wrong_field_is_refused_by_name(energy_world, runtime):
    w, cipher = energy_world, runtime.cipher
    assert await _refusal(w, cipher, code="E 01") == {"code": "表号只能由字母、数字、“-”“_”组成，1 到 32 位"}
    assert "device_address" in await _refusal(w, cipher, device_address="248")
    assert "endpoint" in await _refusal(w, cipher, endpoint="192.168.10.21")
    assert "endpoint" in await _refusal(w, cipher, endpoint="192.168.10.21:70000")
    assert "multiplier" in await _refusal(w, cipher, multiplier="0")
    assert "place_id" in await _refusal(w, cipher, place_id="999999")
    assert "unit_id" in await _refusal(w, cipher, unit_id="")
    assert "installed_on" in await _refusal(w, cipher, installed_on="2026-02-30")
    assert "replaced_on" in await _refusal(w, cipher, replaced_on="2025-01-01")
    assert "spike_limit" in await _refusal(w, cipher, spike_limit="-3")
    assert "control_secret" in await _refusal(w, cipher, control_secret="02123456:00000001")  # a Modbus meter
    manual = await _refusal(w, cipher, model_id="", device_address="1")
    assert "endpoint" in manual
    several = await _refusal(w, cipher, name="", kind="steam", multiplier="x")
    assert {"name", "kind", "multiplier"} <= set(several)
    await meters.create_meter(CLI_ACTOR, cipher, _fields(w))
    assert await _refusal(w, cipher) == {"": "energy.meter_code_taken"}
    assert await Meter.filter(code="E-NEW-01").count() == 1


async def test_a_shared_meter_needs_two_units_and_an_apportionment_and_no_unit_of_its_own(energy_world, runtime):
    w, cipher = energy_world, runtime.cipher
    both = (str(w.fgw_id), str(w.czj_id))
    assert "apportion" in await _refusal(w, cipher, unit_id="", shared_unit_ids=both)
    assert "shared_unit_ids" in await _refusal(w, cipher, unit_id="", shared_unit_ids=both[:1], apportion="area")
    assert "unit_id" in await _refusal(w, cipher, shared_unit_ids=both, apportion="headcount")
    made = await meters.create_meter(
        CLI_ACTOR, cipher, _fields(w, unit_id="", shared_unit_ids=both, apportion="headcount")
    )
    assert made["unit_id"] is None and made["shared_unit_ids"] == sorted([w.fgw_id, w.czj_id])
    assert "按在编人数分摊" in made["units_text"]
    assert await MeterShare.filter(meter_id=made["id"]).count() == 2


async def test_a_dlt645_secret_is_stored_encrypted_kept_on_change_and_never_audited(energy_world, runtime):
    w, cipher = energy_world, runtime.cipher
    model = await meters.create_model(CLI_ACTOR, "DDZY1710", Protocol.DLT645, {}, True)
    secret = "02123456:0000ABCD"
    fields = _fields(w, model_id=str(model["id"]), device_address="000000000102", control_secret=secret)
    assert "device_address" in await _refusal(w, cipher, model_id=str(model["id"]), device_address="102")
    assert "control_secret" in await _refusal(
        w, cipher, model_id=str(model["id"]), device_address="000000000102", control_secret="0212:1"
    )
    made = await meters.create_meter(CLI_ACTOR, cipher, fields)
    stored = await Meter.get(id=made["id"])
    assert secret not in stored.control_secret_encrypted and meters.control_secret(stored, cipher) == secret
    await meters.update_meter(
        CLI_ACTOR, cipher, made["id"], _fields(w, **{**vars(fields), "name": "改名", "control_secret": ""})
    )
    assert meters.control_secret(await Meter.get(id=made["id"]), cipher) == secret
    entries = await AuditEntry.filter(object_type="meter", object_id=str(made["id"])).order_by("id")
    assert [e.action for e in entries] == ["energy.create_meter", "energy.update_meter"]
    assert entries[1].after == {"name": "改名"}
    assert all(secret not in str(e.before) + str(e.after) for e in entries)
    serial = _fields(
        w,
        model_id=str(model["id"]),
        device_address="000000000103",
        code="E-SER",
        endpoint="serial:///dev/ttyUSB0?baud=2400",
    )
    assert (await meters.create_meter(CLI_ACTOR, cipher, serial))["endpoint"].startswith("serial://")


async def test_a_new_ct_ratio_on_a_meter_already_read_is_refused_as_a_registration_change(energy_world, runtime):
    w = energy_world
    await Meter.filter(id=w.fgw_power.id).update(last_read_at=now(), last_raw_milli=1000)
    fields = _fields(
        w, code="E-FGW-01", name="发改委办公电", endpoint="127.0.0.1:15020", device_address="1", multiplier="2"
    )
    with pytest.raises(AppError) as refused:
        await meters.update_meter(CLI_ACTOR, runtime.cipher, w.fgw_power.id, fields)
    assert refused.value.details["fields"][0]["field"] == "multiplier"
    done = await meters.update_meter(
        CLI_ACTOR,
        runtime.cipher,
        w.fgw_power.id,
        _fields(w, **{**vars(fields), "multiplier": "1", "installed_on": "2026-01-01"}),
    )
    assert done["multiplier"] == 1


async def test_a_unit_scope_lists_its_own_meters_and_the_shared_ones_it_shares(energy_world):
    w = energy_world
    czj = {r["code"] for r in await meters.meter_rows([w.czj_id])}
    assert czj == {"E-CZJ-01", "E-PUB-01"}
    everything = await meters.meter_rows(None)
    assert [r["code"] for r in everything] == sorted(r["code"] for r in everything) and len(everything) == 5
    water = await meters.meter_rows(None, kind=meters.MeterKind.WATER)
    assert [r["comm_label"] for r in water] == ["人工抄表"]
    shared = await meters.meter_detail(w.shared_power.id)
    assert meters.reaches(shared, [w.czj_id]) and not meters.reaches(
        await meters.meter_detail(w.fgw_power.id), [w.czj_id]
    )


async def test_stopping_a_meter_is_audited_once(energy_world):
    w = energy_world
    await meters.set_active(CLI_ACTOR, w.fgw_power.id, False)
    await meters.set_active(CLI_ACTOR, w.fgw_power.id, False)
    assert not (await meters.meter_detail(w.fgw_power.id))["is_active"]
    assert await AuditEntry.filter(action="energy.set_meter_active").count() == 1
    with pytest.raises(AppError):
        await meters.set_active(CLI_ACTOR, 999999, True)
