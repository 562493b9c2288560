"""Demo data of the assets module, on the demo building 行政中心 of the places module: the rooms
in the office-space register (one over the area standard, one vacant), the building's file with a
safety inspection, a small tree of the national asset classes, asset cards of three units, the
units' asset officers, the 公物仓 with items in it, one allocated (approved, counted as saved)
and one asked for, a disposal and a room reallocation waiting for approval, and an open
stock-take. Everything goes through the module's services, so it is numbered, audited and
approved as the console's and the mini-program's writes are."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.assets.models import (
    AssetStatus,
    DisposalMethod,
    InspectionResult,
    ItemCondition,
    RequestKind,
    Tenure,
)
from backend.assets.service import (
    cards,
    categories,
    disposals,
    officers,
    space,
    stocktakes,
    transfers,
    warehouse,
)
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.permissions import Scope
from backend.core.timeutil import now, today
from backend.places import service as places

BUILDING = "行政中心"
WAREHOUSE = "市级公物仓"
# (code, name, parent code, default useful life in months), after GB/T 14885.
CLASSES = (
    ("A02", "设备", None, 0),
    ("A0201", "信息化设备", "A02", 0),
    ("A020101", "计算机", "A0201", 72),
    ("A020105", "打印设备", "A0201", 60),
    ("A0206", "电气设备", "A02", 0),
    ("A020618", "空调机", "A0206", 96),
    ("A05", "家具和用具", None, 0),
    ("A0501", "家具", "A05", 0),
    ("A050103", "桌类", "A0501", 180),
    ("A050104", "椅凳类", "A0501", 180),
    ("A050105", "沙发类", "A0501", 180),
    ("A050106", "柜类", "A0501", 180),
)
# room name → (use area in hundredths of m², use, unit code, occupants (employee no, grade))
ROOMS = {
    "101": (6000, places.RoomUse.ANCILLARY, "SJGSW", ()),
    "102": (1600, places.RoomUse.OFFICE, "CZJ-BGS", (("D0003", "below_bureau"), ("D0004", "below_bureau"))),
    "301": (2600, places.RoomUse.OFFICE, "FGW-BGS", (("D0001", "bureau_chief"),)),
    "302": (1800, places.RoomUse.OFFICE, "FGW-GHC", (("D0002", "bureau_deputy"),)),
    "会议室": (8000, places.RoomUse.SERVICE, "SJGSW", ()),
}
# A vacant office the demo asks to have reallocated.
VACANT_ROOM = "305"
USE, IDLE = AssetStatus.IN_USE, AssetStatus.IDLE
# (class code, name, spec, unit code, room, custodian, value in yuan, bought, status)
CARDS = (
    (
        "A020101",
        "台式计算机",
        "联想 开天 M740J",
        "FGW-BGS",
        "301",
        "D0001",
        6200,
        date(2023, 4, 12),
        AssetStatus.IN_USE,
    ),
    ("A020105", "激光打印机", "奔图 P3305DN", "FGW-BGS", "301", None, 1850, date(2022, 9, 1), USE),
    ("A050103", "办公桌", "1.6 m 钢木", "FGW-BGS", "301", "D0001", 2400, date(2019, 5, 20), USE),
    ("A050104", "办公椅", "网布转椅", "FGW-BGS", "301", "D0001", 680, date(2019, 5, 20), USE),
    ("A020101", "笔记本电脑", "华为 擎云 L540", "FGW-GHC", "302", "D0002", 7800, date(2024, 2, 26), USE),
    ("A050106", "文件柜", "五节柜", "FGW-GHC", "302", None, 1200, date(2018, 3, 8), USE),
    ("A020101", "台式计算机", "联想 启天 M415", "FGW-GHC", "302", None, 5300, date(2017, 6, 30), IDLE),
    ("A020101", "台式计算机", "长城 世恒 TF-A", "CZJ-BGS", "102", "D0003", 5600, date(2024, 8, 15), USE),
    ("A020101", "台式计算机", "长城 世恒 TF-A", "CZJ-BGS", "102", "D0004", 5600, date(2024, 8, 15), USE),
    ("A050103", "办公桌", "1.4 m 钢木", "CZJ-BGS", "102", None, 2100, date(2020, 11, 3), USE),
    (
        "A020618",
        "空调机",
        "格力 KFR-72LW 3 匹柜机",
        "SJGSW",
        "会议室",
        None,
        8900,
        date(2021, 7, 1),
        AssetStatus.IN_USE,
    ),
    ("A050103", "会议桌", "4.8 m 实木", "SJGSW", "会议室", None, 16800, date(2015, 10, 9), USE),
)
GOOD, NEW, FAIR = ItemCondition.GOOD, ItemCondition.NEW, ItemCondition.FAIR
# Idle things the units gave to the 公物仓: (class, name, spec, giving unit, value, bought, condition,
# description)
STORED = (
    (
        "A050105",
        "三人沙发",
        "真皮 2.1 m",
        "CZJ-BGS",
        5800,
        date(2020, 4, 2),
        ItemCondition.GOOD,
        "会客室改造换下，皮面完好",
    ),
    ("A050103", "会议桌", "2.4 m 实木", "CZJ-BGS", 4500, date(2022, 1, 15), GOOD, "桌面有轻微划痕"),
    ("A020105", "彩色激光打印机", "惠普 M454dn", "SJGSW", 3900, date(2023, 3, 20), NEW, "备用机，未拆封"),
    (
        "A050104",
        "折叠椅（20 把）",
        "钢制折叠椅",
        "SJGSW",
        1600,
        date(2021, 5, 10),
        ItemCondition.FAIR,
        "活动借用，按组出借",
    ),
)


def _ref() -> str:
    return f"demo-{secrets.token_hex(8)}"


async def _register(
    name: str,
    spec: str,
    category_id: int,
    unit_id: int,
    value_yuan: int,
    bought: date,
    status: AssetStatus,
    place_id: int | None = None,
    custodian_id: int | None = None,
) -> dict:
    """A card registered as the console does it; the demo's tables give values in whole yuan."""
    details = cards.CardDetails(
        name=name,
        category_id=category_id,
        unit_id=unit_id,
        original_value_fen=value_yuan * 100,
        purchase_date=bought,
        spec=spec,
        place_id=place_id,
        custodian_id=custodian_id,
        status=status,
    )
    return await cards.register(CLI_ACTOR, Scope.EVERYTHING, details)


async def seed(demo: DemoContext) -> list[str]:
    """The rooms' facts, classes, cards, officers, 公物仓 and its requests, a disposal, a room
    request and a stock-take, unless the classes are there already."""
    if await categories.tree():
        return []
    buildings = [b for b in await places.buildings() if b["name"] == BUILDING]
    if not buildings:
        return []
    building_id = buildings[0]["id"]
    staff = await people.people_by_employee_no(["D0001", "D0002", "D0003", "D0004", "D0005"])
    unit_ids = {}
    for code in ("SJGSW", "FGW", "FGW-BGS", "FGW-GHC", "CZJ", "CZJ-BGS"):
        unit = await people.unit_by_code(code)
        if unit is None:
            return []
        unit_ids[code] = unit.id
    at, day = now(), today()

    within = set(await places.ids_within(building_id))
    tree = [p for p in await places.tree() if p["id"] in within]
    rooms = {p["name"]: p["id"] for p in tree if p["kind"] == "room"}
    floor3 = next(p["id"] for p in tree if p["kind"] == "floor" and p["name"] == "3楼")
    vacant = await places.create_place(CLI_ACTOR, VACANT_ROOM, floor3)
    rooms[VACANT_ROOM] = vacant["id"]
    for name, (area, use, unit_code, occupants) in ROOMS.items():
        await places.set_room_facts(None, CLI_ACTOR, rooms[name], area, area * 13 // 10, use, unit_ids[unit_code])
        for employee_no, grade in occupants:
            await places.add_occupant(None, CLI_ACTOR, rooms[name], staff[employee_no], places.OfficeGrade(grade), day)
    await places.set_room_facts(None, CLI_ACTOR, rooms[VACANT_ROOM], 2000, 2600, places.RoomUse.OFFICE, None)
    await space.set_building_file(
        CLI_ACTOR,
        building_id,
        space.BuildingForm(
            tenure=Tenure.OWNED,
            title_no="X京房权证市字第 0012345 号",
            land_no="市国用（2008）第 0456 号",
            permits="建设工程规划许可证 建字第 2006-118 号；消防验收合格",
            built_year=2008,
            address="市民大道 1 号",
        ),
        day,
    )
    await space.add_inspection(
        CLI_ACTOR, building_id, day - timedelta(days=20), "市机关事务管理局安全科", InspectionResult.PASSED, "", at
    )

    classes: dict[str, int] = {}
    for code, name, parent, life in CLASSES:
        classes[code] = (await categories.create_category(CLI_ACTOR, code, name, classes.get(parent or ""), life))["id"]

    numbers = []
    for code, name, spec, unit_code, room, custodian, value, bought, status in CARDS:
        card = await _register(
            name,
            spec,
            classes[code],
            unit_ids[unit_code],
            value,
            bought,
            status,
            place_id=rooms[room],
            custodian_id=staff[custodian] if custodian else None,
        )
        numbers.append(card["asset_no"])

    await officers.assign(CLI_ACTOR, "D0002", "FGW")
    await officers.assign(CLI_ACTOR, "D0003", "CZJ")

    store = await warehouse.create_warehouse(CLI_ACTOR, WAREHOUSE, rooms["101"])
    entries = []
    for code, name, spec, unit_code, value, bought, condition, description in STORED:
        card = await _register(name, spec, classes[code], unit_ids[unit_code], value, bought, AssetStatus.IDLE)
        moved = await warehouse.move_in(
            CLI_ACTOR, demo.storage, card["id"], store["id"], condition, description, [], at
        )
        entries.append(moved["id"])

    # The sofa goes to 发改委规划处 (approved by its unit leader 张伟, then by 陈静 for the bureau),
    # the conference table is asked for and waits for him.
    sofa, _ = await warehouse.request_item(
        staff["D0002"],
        _ref(),
        warehouse.RequestForm(
            entry_id=entries[0],
            unit_id=unit_ids["FGW-GHC"],
            kind=RequestKind.ALLOCATE,
            purpose="处室会客区添置",
            place_id=rooms["302"],
        ),
        at,
    )
    await approvals.decide(sofa["approval"]["id"], 1, staff["D0001"], True, "同意调剂", at)
    await approvals.decide(sofa["approval"]["id"], 2, staff["D0005"], True, "同意调剂", at)
    await warehouse.request_item(
        staff["D0002"],
        _ref(),
        warehouse.RequestForm(
            entry_id=entries[1],
            unit_id=unit_ids["FGW-BGS"],
            kind=RequestKind.ALLOCATE,
            purpose="小会议室配置会议桌",
            place_id=rooms["301"],
        ),
        at,
    )
    await disposals.request_disposal(
        staff["D0002"], _ref(), numbers[6], DisposalMethod.SCRAP, "使用已超过 6 年，主板损坏，维修不经济", at
    )
    await transfers.request(
        staff["D0002"], _ref(), rooms[VACANT_ROOM], unit_ids["FGW-GHC"], "处室新增编制 2 名，现办公室不足", at
    )
    await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, f"{day.year} 年发改委资产年度盘点", unit_ids["FGW"], None, ["D0002"], at
    )
    return [
        f"资产：{len(CARDS) + len(STORED)} 张资产卡片、{len(CLASSES)} 个资产分类；"
        f"“{WAREHOUSE}”有 {len(STORED)} 件入仓物品（1 件已调剂、1 件申请审批中）；"
        "1 项处置申请、1 项用房调剂申请待审批；1 项盘点任务进行中。",
        f"办公用房：“{BUILDING}”的房间已登记面积、用途、使用单位和使用人（301 超标准，{VACANT_ROOM} 空置），"
        "楼宇档案与安全检查已登记。",
    ]
