"""Demo data of the canteen module: the first canteen with its meals, prices, dishes and a
terminal, three cards with money, and this month's subsidy for established staff."""

from __future__ import annotations

from datetime import time

from backend.accounts.service import devices, people
from backend.accounts.service.devices import DeviceKind
from backend.accounts.service.people import StaffCategory
from backend.canteen.models import DinerCategory, TerminalMode
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.crypto import FieldCipher
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.wallet.service import subsidy, wallets

DEMO_TERMINAL = "T-0001"
DEMO_CANTEEN = "ST1"
DEMO_CARDS = {"D0001": "04A1B2C3D4", "D0002": "04A1B2C3D5", "D0003": "04A1B2C3D6"}


async def seed(cipher: FieldCipher) -> list[str]:
    """The first canteen with its three meals, the demo terminal in it, cards with some money,
    and this month's subsidy for established staff."""
    lines = []
    if not await devices.device_exists(DEMO_TERMINAL):
        device, secret = await devices.register_device(
            CLI_ACTOR, cipher, DEMO_TERMINAL, "第一食堂 1 号消费机", DeviceKind.CANTEEN_TERMINAL, "行政中心第一食堂"
        )
        lines.append(f"消费终端 {device['code']} 的设备密钥（只显示这一次）：{secret}")
    if await canteens.canteen_exists(DEMO_CANTEEN):
        return lines
    await canteens.create_canteen(CLI_ACTOR, DEMO_CANTEEN, "行政中心第一食堂", "行政中心一楼", scope=Scope.EVERYTHING)
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
            scope=Scope.EVERYTHING,
        )
    await canteens.bind_terminal(
        CLI_ACTOR, DEMO_CANTEEN, DEMO_TERMINAL, TerminalMode.FIXED_PRICE, "1 号消费机", scope=Scope.EVERYTHING
    )
    for dish, price, tags in (("红烧肉", 1200, ["荤"]), ("清炒时蔬", 400, ["素"]), ("米饭", 50, ["主食"])):
        await canteens.create_dish(CLI_ACTOR, DEMO_CANTEEN, dish, price, tags, scope=Scope.EVERYTHING)
    for employee_no, uid in DEMO_CARDS.items():
        person_id = (await people.people_by_employee_no([employee_no]))[employee_no]
        await wallets.issue_card(CLI_ACTOR, person_id, uid)
        await wallets.adjust(CLI_ACTOR, person_id, 20000, "演示充值", f"demo-topup-{employee_no}")
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.grant_month(subsidy.month_of(now()), now())
    return [
        *lines,
        f"食堂 {DEMO_CANTEEN}（早餐/午餐/晚餐）已创建，终端 {DEMO_TERMINAL} 已放入；"
        f"演示卡 {', '.join(DEMO_CARDS.values())} 各有 200 元现金；在编人员已发本月餐补 300 元。",
    ]
