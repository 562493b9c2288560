"""The gates pages of the security office: a new gate is checked field by field (code, relay and
printer addresses, camera IPs, the terminal to bind) and a refusal writes nothing; a vehicle
gate's camera secret is shown once and only its ciphertext kept; the list shows each terminal's
online state and the relay's reading; the relay test reads the barrier."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.access.models import Gate
from backend.access.service import gates
from backend.accounts.models import Device, DeviceKind
from backend.accounts.service import devices
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.helpers import console_admin

MANAGER = ["access.view_access", "access.manage_gates"]


def _form(csrf: str, world, **changes) -> dict:
    form = {
        "csrf_token": csrf,
        "code": "G-B-IN",
        "name": "B座正门进",
        "kind": "pedestrian",
        "direction": "in",
        "building_id": str(world.other_building_id),
        "relay_uri": "",
        "camera_addresses": "",
        "printer_uri": "escpos+tcp://192.168.1.40:9100",
    }
    return {**form, **changes}


async def test_gate_pages_render_for_a_viewer_without_forms_and_are_refused_without_permission(client, access_world):
    pages = ("/console/access/gates", f"/console/access/gates/{access_world.car_gate.id}")
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in (*pages, "/console/access/gates/new"):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", ["access.view_access"])
    for path in pages:
        answer = await client.get(path)
        assert answer.status_code == 200 and 'action="/console/access/' not in answer.text, path
    assert (await client.get("/console/access/gates/new")).status_code == 403


async def test_the_list_shows_the_terminal_online_and_the_relay_reading(client, access_world):
    await Device.filter(code="GT-A-IN").update(last_seen_at=now() - timedelta(seconds=10))
    await Gate.filter(id=access_world.car_gate.id).update(relay_state="disconnected", relay_message="无应答")
    await console_admin(client, "viewer", ["access.view_access"])
    text = (await client.get("/console/access/gates")).text
    assert 'data-testid="terminal-G-A-IN">GT-A-IN <span class="badge badge-ok">在线' in text
    assert 'data-testid="terminal-G-A-OUT">GT-A-OUT <span class="badge badge-muted">从未上线' in text
    assert 'data-testid="relay-V-A-IN"><span class="badge badge-bad" title="无应答">异常' in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "门 1"}, "门禁点编号只能由字母、数字"),
        ({"code": "G-A-IN"}, "门禁点编号“G-A-IN”已使用"),
        ({"kind": "vehicle", "relay_uri": "http://relay"}, "道闸继电器地址无法识别"),
        ({"kind": "vehicle", "relay_uri": "modbus+tcp://10.0.0.5?coil=x"}, "道闸继电器地址无法识别"),
        ({"printer_uri": "lp0"}, "小票打印机地址无法识别"),
        (
            {"kind": "vehicle", "camera_addresses": "192.168.1.31\n192.168.1.300"},
            "车牌相机地址“192.168.1.300”不是有效的 IP 地址",
        ),
        ({"camera_addresses": "192.168.1.31"}, "只有车行道闸可以设置车牌相机"),
        ({"device_code": "GT-A-IN"}, "设备“GT-A-IN”已绑定门禁点“A座东门进”"),
        ({"device_code": "KIOSK-1"}, "设备“KIOSK-1”不存在或不是门禁控制器"),
        ({"device_code": "NOPE"}, "设备“NOPE”不存在或不是门禁控制器"),
        ({"building_id": "999999"}, "楼宇不存在或已停用"),
        ({"name": ""}, "名称应为 1 到 100 个字"),
    ],
)
async def test_a_bad_gate_is_refused_with_its_chinese_message_and_nothing_written(
    client, access_world, runtime, changes, message
):
    await devices.register_device(CLI_ACTOR, runtime.cipher, "KIOSK-1", "自助机", DeviceKind.KIOSK, "")
    csrf = await console_admin(client, "manager", MANAGER)
    gates_before, audits_before = (
        await Gate.all().count(),
        await AuditEntry.filter(action__startswith="access.").count(),
    )
    answer = await client.post("/console/access/gates", data=_form(csrf, access_world, **changes))
    assert answer.status_code == 422
    assert message in answer.text
    assert await Gate.all().count() == gates_before
    assert await AuditEntry.filter(action__startswith="access.").count() == audits_before


async def test_a_vehicle_gate_shows_its_camera_secret_once_and_keeps_only_the_ciphertext(client, access_world, runtime):
    csrf = await console_admin(client, "manager", MANAGER)
    answer = await client.post(
        "/console/access/gates",
        data=_form(
            csrf,
            access_world,
            code="V-B-IN",
            kind="vehicle",
            relay_uri="modbus+tcp://192.168.1.20:502?coil=1",
            camera_addresses="192.168.1.31, 192.168.1.32",
        ),
    )
    assert answer.status_code == 201
    gate = await Gate.get(code="V-B-IN")
    secret = runtime.cipher.decrypt(gate.camera_secret_encrypted, context=gates.CAMERA_SECRET_CONTEXT)
    assert f'data-testid="secret-value">{secret}<' in answer.text
    assert secret not in gate.camera_secret_encrypted
    assert gate.camera_addresses == ["192.168.1.31", "192.168.1.32"]
    assert secret not in (await client.get(f"/console/access/gates/{gate.id}")).text
    entry = await AuditEntry.get(action="access.create_gate", object_id=str(gate.id))
    assert secret not in str(entry.after) and entry.after["camera_secret_set"] is True

    rotated = await client.post(f"/console/access/gates/{gate.id}/camera-secret", data={"csrf_token": csrf})
    await gate.refresh_from_db()
    fresh = runtime.cipher.decrypt(gate.camera_secret_encrypted, context=gates.CAMERA_SECRET_CONTEXT)
    assert fresh != secret and f'data-testid="secret-value">{fresh}<' in rotated.text
    assert await AuditEntry.filter(action="access.rotate_camera_secret", object_id=str(gate.id)).exists()


async def test_a_pedestrian_gate_binds_a_free_terminal_and_has_no_camera_secret(client, access_world, runtime):
    await devices.register_device(CLI_ACTOR, runtime.cipher, "GT-B-IN", "B座闸机", DeviceKind.GATE_CONTROLLER, "")
    csrf = await console_admin(client, "manager", MANAGER)
    answer = await client.post(
        "/console/access/gates", data=_form(csrf, access_world, device_code="GT-B-IN", anti_passback="on")
    )
    assert answer.status_code == 201 and 'data-testid="camera-secret"' not in answer.text
    gate = await Gate.get(code="G-B-IN").select_related("device")
    assert gate.device.code == "GT-B-IN" and gate.anti_passback and gate.camera_secret_encrypted is None


async def test_changing_a_gate_moves_its_terminal_and_is_audited_before_and_after(client, access_world):
    csrf = await console_admin(client, "manager", MANAGER)
    exit_ = access_world.exit
    # The exit's terminal cannot be taken while the exit holds it; once the exit lets go it can.
    taken = await client.post(
        f"/console/access/gates/{access_world.entry.id}",
        data=_form(csrf, access_world, name="A座东门进", device_code="GT-A-OUT"),
    )
    assert taken.status_code == 422 and "已绑定门禁点“A座东门出”" in taken.text
    freed = await client.post(
        f"/console/access/gates/{exit_.id}",
        data=_form(csrf, access_world, name="A座东门出（临时）", direction="out", device_code=""),
    )
    assert freed.status_code == 302
    moved = await client.post(
        f"/console/access/gates/{access_world.entry.id}",
        data=_form(csrf, access_world, name="A座东门进", device_code="GT-A-OUT"),
    )
    assert moved.status_code == 302
    entry = await Gate.get(id=access_world.entry.id).select_related("device")
    assert entry.device.code == "GT-A-OUT" and entry.building_id == access_world.other_building_id
    audit = await AuditEntry.filter(action="access.update_gate", object_id=str(exit_.id)).first()
    assert audit.before["device_code"] == "GT-A-OUT" and audit.after["device_id"] is None


async def test_disabling_a_gate_and_testing_its_relay(client, access_world):
    csrf = await console_admin(client, "manager", MANAGER)
    car = access_world.car_gate
    answer = await client.post(f"/console/access/gates/{car.id}/active", data={"csrf_token": csrf, "active": "0"})
    assert answer.status_code == 302
    assert not (await Gate.get(id=car.id)).is_active
    checked = await client.post(f"/console/access/gates/{car.id}/check", data={"csrf_token": csrf})
    assert checked.status_code == 200 and "道闸继电器正常" in checked.text
    assert (await Gate.get(id=car.id)).relay_state == "ok"
