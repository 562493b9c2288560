"""Demo data of gates and visitors for `make run`: the demo building 行政中心 (places module) gets
an entry and an exit gate, each with its gate terminal, and a car-park barrier with a simulated
relay and a camera allowed from this machine; the guard post prints on a simulated printer. 张伟
(D0001) hosts a visit in each state a desk sees on a first look: waiting for the visitor,
ready, asked for by a visitor, refused, revoked, a walk-in waiting for the host, a walk-in
confirmed by phone, one inside now and one that has left. Two cadres' own cars wait for approval
or are approved. The gate terminals' keys and the camera's secret are shown once, in the box of
secrets, with the command that runs the entry terminal (`make gate`). Everything goes through
the module's services, the gate decisions included."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from stdnum.cn import ric

from backend.access.config import AccessSettings
from backend.access.models import Gate
from backend.access.service import gatecheck, gates, passes, vehicles, visits
from backend.accounts.service import devices, people
from backend.accounts.service.devices import DeviceKind
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.timeutil import now
from backend.modules import settings_of
from backend.places import service as places

BUILDING = "行政中心"
ENTRY, EXIT, CAR_PARK = "G-0001", "G-0002", "V-0001"
HOST = "D0001"
HOST_PHONE = "13800000001"  # 张伟's phone in the accounts module's demo roster


def _id_number(serial: int) -> str:
    """A well-formed (check digit right) ID number of nobody, born 1 January 1990 in Hangzhou."""
    body = f"33010619900101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # it reads a whole number, check digit included


def _draft(building_id: int, name: str, serial: int, start: datetime, hours: int, **more) -> visits.VisitDraft:
    return visits.VisitDraft(
        visitor_name=name,
        phone=f"1390000{serial:04d}",
        company=more.pop("company", "浙江某科技有限公司"),
        purpose=more.pop("purpose", "业务洽谈"),
        window_start=start,
        window_end=start + timedelta(hours=hours),
        building_ids=[building_id],
        **more,
    )


async def _terminal(demo: DemoContext, code: str, name: str) -> str:
    _, secret = await devices.register_device(CLI_ACTOR, demo.cipher, code, name, DeviceKind.GATE_CONTROLLER, BUILDING)
    return secret


async def _gates(demo: DemoContext, building_id: int) -> None:
    entry_secret = await _terminal(demo, "GT-0001", "东门进闸机终端")
    await _terminal(demo, "GT-0002", "东门出闸机终端")
    await gates.create_gate(
        CLI_ACTOR,
        demo.cipher,
        code=ENTRY,
        name="东门进（门岗）",
        kind="pedestrian",
        direction="in",
        building_id=building_id,
        device_code="GT-0001",
        printer_uri="sim",
    )
    await gates.create_gate(
        CLI_ACTOR,
        demo.cipher,
        code=EXIT,
        name="东门出",
        kind="pedestrian",
        direction="out",
        building_id=building_id,
        device_code="GT-0002",
    )
    _, camera_secret = await gates.create_gate(
        CLI_ACTOR,
        demo.cipher,
        code=CAR_PARK,
        name="地下车库入口",
        kind="vehicle",
        direction="in",
        building_id=building_id,
        relay_uri="sim",
        camera_addresses=["127.0.0.1"],
    )
    demo.secret("闸机终端 GT-0001 的设备密钥", entry_secret)
    demo.secret("试用闸机终端", f"KIOSK_DEVICE_SECRET={entry_secret} make gate，再打开 http://127.0.0.1:8710/")
    demo.secret(f"车牌相机（门禁点 {CAR_PARK}）的密钥", camera_secret or "")


async def _through(demo: DemoContext, visit_id: int, gate_code: str, at: datetime) -> None:
    """The visitor's pass scanned at the gate, as a gate terminal would send it."""
    gate = await Gate.get(code=gate_code)
    settings = settings_of(demo.settings, "access")
    token = (await passes.current_token(demo.settings.data_key, settings, visit_id, at))["token"]
    await gatecheck.scan(demo.settings.data_key, settings, gate.id, token, f"DEMO-{uuid.uuid4().hex[:16]}", at)


async def _visits(demo: DemoContext, settings: AccessSettings, building_id: int) -> int:
    cipher, at = demo.cipher, now()
    host = await people.person_summary((await people.people_by_employee_no([HOST]))[HOST])
    # From now, whatever the hour `make run` first starts: one visitor walks in at once.
    start = at - timedelta(minutes=5)
    await visits.invite(cipher, settings, host.id, _draft(building_id, "周晓明", 1, start, 8), at)

    def invited(name: str, serial: int, **more) -> visits.VisitDraft:
        return _draft(building_id, name, serial, start, 8, **more)

    async def ready(name: str, serial: int, **more) -> int:
        _, link = await visits.invite(cipher, settings, host.id, invited(name, serial, **more), at)
        _, token = await visits.open_link(link.rsplit("/", 1)[1], at)
        return (await visits.complete(cipher, settings, token, _id_number(serial), None, at))["id"]

    await ready("吴思远", 2, companions=["郑雨"])
    inside = await ready("孙立", 3, purpose="项目评审会")
    await _through(demo, inside, ENTRY, at)
    gone = await ready("钱芳", 4)
    await _through(demo, gone, ENTRY, at)
    await _through(demo, gone, EXIT, at)
    await visits.request_visit(cipher, settings, invited("冯涛", 5), _id_number(5), host.name, HOST_PHONE, at)
    refused, _ = await visits.request_visit(
        cipher, settings, invited("陈刚", 6, purpose="推销产品"), _id_number(6), host.name, HOST_PHONE, at
    )
    await visits.host_decide(settings, host.id, refused["id"], False, "近期无此安排", at)
    revoked, _ = await visits.invite(cipher, settings, host.id, invited("蒋敏", 7), at)
    await visits.revoke(host.id, revoked["id"], "会议取消", at)
    await visits.register_walk_in(
        CLI_ACTOR, cipher, settings, invited("韩磊", 8, purpose="送达文件"), _id_number(8), host.id, None, at
    )
    walked = await visits.register_walk_in(
        CLI_ACTOR, cipher, settings, invited("杨洁", 9, purpose="设备维修"), _id_number(9), host.id, None, at
    )
    await visits.confirm_by_phone(CLI_ACTOR, settings, walked["id"], at)
    return 10


async def _cars() -> None:
    cadres = await people.people_by_employee_no(["D0002", "D0003"])
    for employee_no, plate, approve in (("D0002", "浙A5N288", True), ("D0003", "浙AD66123", False)):
        car = await vehicles.register(cadres[employee_no], plate, "上下班通勤")
        if approve:
            await vehicles.decide(CLI_ACTOR, car["id"], True, 7 * 60, 20 * 60, "工作日通勤")


async def seed(demo: DemoContext) -> list[str]:
    if await Gate.exists():
        return []
    building_id = next((b["id"] for b in await places.buildings() if b["name"] == BUILDING), None)
    if building_id is None:
        return ["门禁与访客：没有演示楼宇“行政中心”，未写入门禁演示数据。"]
    settings = settings_of(demo.settings, "access")
    await _gates(demo, building_id)
    count = await _visits(demo, settings, building_id)
    await _cars()
    return [f"门禁与访客：{BUILDING}的进、出两道闸机（各一台闸机终端）和车库道闸，张伟名下各种状态的来访 {count} 条。"]
