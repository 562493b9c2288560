"""Demo data for the embedded default: a unit tree, a few cadres with cards and money, a canteen
with its meals and a terminal, and an admin.

It goes through the same services an admin would use (the roster even through the importer),
so the demo shows the real behaviour. Secrets are printed once and never stored in clear.
"""

from __future__ import annotations

import secrets
from datetime import time
from decimal import Decimal

from backend.accounts import admins, devices, service
from backend.accounts.models import AdminUser, Device, DeviceKind, Person, Role, StaffCategory, Unit
from backend.accounts.permissions import ALL
from backend.canteen import service as canteens
from backend.canteen.models import Canteen, DinerCategory, TerminalMode
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.core.passwords import password_problem
from backend.core.timeutil import now
from backend.repairs import catalog as repair_catalog
from backend.wallet import service as wallets
from backend.wallet import subsidy

UNITS = [
    ("SJGSW", "市机关事务管理局", None),
    ("FGW", "市发展和改革委员会", "SJGSW"),
    ("FGW-BGS", "办公室", "FGW"),
    ("FGW-GHC", "发展规划处", "FGW"),
    ("CZJ", "市财政局", "SJGSW"),
    ("CZJ-BGS", "办公室", "CZJ"),
]

DEMO_TERMINAL = "T-0001"

ROSTER_CSV = """工号,姓名,单位编码,人员类别,手机号
D0001,张伟,FGW-BGS,在编,13800000001
D0002,王芳,FGW-GHC,在编,13800000002
D0003,李娜,CZJ-BGS,聘用,13800000003
D0004,刘洋,CZJ-BGS,外包,13800000004
D0005,陈静,SJGSW,在编,13800000005
"""


DEMO_CANTEEN = "ST1"
DEMO_CARDS = {"D0001": "04A1B2C3D4", "D0002": "04A1B2C3D5", "D0003": "04A1B2C3D6"}


async def _seed_canteen() -> list[str]:
    """The first canteen with its three meals, the demo terminal in it, cards with some money,
    and this month's subsidy for established staff."""
    if await Canteen.filter(code=DEMO_CANTEEN).exists():
        return []
    await canteens.create_canteen(CLI_ACTOR, DEMO_CANTEEN, "行政中心第一食堂", "行政中心一楼")
    for code, name, start, end, staff, contractor in (
        ("breakfast", "早餐", time(6, 30), time(9, 0), 500, 800),
        ("lunch", "午餐", time(11, 0), time(13, 30), 1500, 2000),
        ("dinner", "晚餐", time(17, 0), time(19, 30), 1200, 1800),
    ):
        await canteens.set_period(
            CLI_ACTOR,
            DEMO_CANTEEN,
            code,
            name,
            start,
            end,
            1,
            {DinerCategory.STAFF: (staff, staff), DinerCategory.CONTRACTOR: (contractor, 0)},
        )
    await canteens.bind_terminal(CLI_ACTOR, DEMO_CANTEEN, DEMO_TERMINAL, TerminalMode.FIXED_PRICE, "1 号消费机")
    for dish, price, tags in (("红烧肉", 1200, ["荤"]), ("清炒时蔬", 400, ["素"]), ("米饭", 50, ["主食"])):
        await canteens.create_dish(CLI_ACTOR, DEMO_CANTEEN, dish, price, tags)
    for employee_no, uid in DEMO_CARDS.items():
        person = await Person.get(employee_no=employee_no)
        await wallets.issue_card(CLI_ACTOR, person.id, uid)
        await wallets.adjust(CLI_ACTOR, person.id, 20000, "演示充值", f"demo-topup-{employee_no}")
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.grant_month(subsidy.month_of(now()), now())
    return [
        f"食堂 {DEMO_CANTEEN}（早餐/午餐/晚餐）已创建，终端 {DEMO_TERMINAL} 已放入；"
        f"演示卡 {', '.join(DEMO_CARDS.values())} 各有 200 元现金；在编人员已发本月餐补 300 元。"
    ]


async def _seed_repairs() -> list[str]:
    """The usual repair categories, a maintenance team with a technician, and one building."""
    if await repair_catalog.technician_teams((await Person.get(employee_no="D0004")).id):
        return []
    await repair_catalog.save_team(CLI_ACTOR, "WX1", "综合维修班", "D0005", ["D0004"])
    await repair_catalog.ensure_default_categories(CLI_ACTOR)
    for code in ("water", "lighting", "aircon", "doors", "furniture", "other"):
        category = next(c for c in await repair_catalog.list_categories() if c["code"] == code)
        await repair_catalog.save_category(
            CLI_ACTOR,
            code,
            category["name"],
            "WX1",
            Decimal(str(category["accept_hours"])),
            Decimal(str(category["resolve_hours"])),
            code == "lighting",
        )
    building = await repair_catalog.create_location(CLI_ACTOR, "行政中心", None)
    for floor_name, rooms in (("1楼", ("101", "102", "食堂")), ("3楼", ("301", "302", "会议室"))):
        floor = await repair_catalog.create_location(CLI_ACTOR, floor_name, building["id"])
        for room in rooms:
            await repair_catalog.create_location(CLI_ACTOR, room, floor["id"])
    return ["报修：默认类别、综合维修班（维修人员 D0004 刘洋，调度 D0005 陈静）与“行政中心”楼层房间已创建。"]


def generate_password() -> str:
    while True:
        candidate = f"Hq-{secrets.token_urlsafe(12)}"
        if password_problem(candidate) is None:
            return candidate


async def ensure_superadmin_role() -> None:
    if not any(r["code"] == "superadmin" for r in await admins.list_roles()):
        await admins.create_role(CLI_ACTOR, None, "superadmin", "超级管理员", [ALL])


async def create_superadmin(username: str, display_name: str, password: str) -> dict:
    await ensure_superadmin_role()
    admin = await admins.create_admin(CLI_ACTOR, username, display_name, password)
    await admins.grant_role(CLI_ACTOR, None, admin["id"], "superadmin", None)
    return admin


async def seed(cipher: FieldCipher, *, if_empty: bool) -> list[str]:
    """Create the demo data; returns the lines to print (including the one-time secrets).

    Every step is skipped when its data exists, and the admin comes last, so a run cut short is
    completed by the next one instead of failing on what the first had written.
    """
    if if_empty and await AdminUser.exists():
        return ["已有数据，跳过演示数据初始化。"]
    lines = []
    existing_units = set(await Unit.all().values_list("code", flat=True))
    for code, name, parent in UNITS:
        if code not in existing_units:
            await service.create_unit(CLI_ACTOR, None, code, name, parent)
    report = await service.import_roster(CLI_ACTOR, cipher, None, "demo.csv", ROSTER_CSV.encode(), dry_run=False)
    lines.append(f"单位 {len(UNITS)} 个，人员 {report['total']} 名。")
    if not await Role.filter(code="unit_admin").exists():
        await admins.create_role(
            CLI_ACTOR,
            None,
            "unit_admin",
            "单位管理员",
            ["accounts.view_unit", "accounts.view_person", "accounts.import_person"],
        )
    if not await Device.filter(code=DEMO_TERMINAL).exists():
        device, secret = await devices.register_device(
            CLI_ACTOR, cipher, DEMO_TERMINAL, "第一食堂 1 号消费机", DeviceKind.CANTEEN_TERMINAL, "行政中心第一食堂"
        )
        lines.append(f"消费终端 {device['code']} 的设备密钥（只显示这一次）：{secret}")
    lines += await _seed_canteen()
    lines += await _seed_repairs()
    if not await AdminUser.filter(username="admin").exists():
        password = generate_password()
        await create_superadmin("admin", "系统管理员", password)
        lines += ["管理员账号：admin", f"管理员密码（只显示这一次，请妥善保存）：{password}"]
    return lines
