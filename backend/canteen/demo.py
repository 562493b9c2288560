"""Demo data of the canteen module: a canteen that has been running for a week, and a demo
terminal that takes a tap at any hour.

行政中心第一食堂 (ST1) has breakfast, lunch and dinner with their prices, dishes and daily menus,
two terminals, and the past week of working days lived through: meals booked the day before,
paid at the terminals by cadres of several units (through the same payment operation a
terminal's request takes, so every payment is a ledger transfer and the books reconcile), some
no-shows and walk-ins, dishes rated, one payment refunded; and bookings for the days ahead.
The demo terminal T-0001 stands in 演示食堂, whose one meal period (演示时段（全天）) lasts all
day, so a newcomer can tap a demo card on the kiosk (`make kiosk`) whatever the hour.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from backend.accounts.service import devices, people
from backend.accounts.service.devices import DeviceKind
from backend.accounts.service.people import StaffCategory
from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus, TerminalMode
from backend.canteen.service import booking, canteens, menus, payments
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.service import subsidy, wallets

DEMO_TERMINAL = "T-0001"
DEMO_CANTEEN = "ST0"
DEMO_PERIOD = "演示时段（全天）"
CANTEEN = "ST1"
TERMINALS = ("T-0101", "T-0102")
DEMO_CARDS = {
    "D0001": "04A1B2C3D4",
    "D0002": "04A1B2C3D5",
    "D0003": "04A1B2C3D6",
    "D0004": "04A1B2C3D7",
    "D0005": "04A1B2C3D8",
}
WORKING_DAYS = 5

# (code, name, starts, ends, staff price = its subsidy cap, contractor price) in fen
PERIODS = (
    ("breakfast", "早餐", time(6, 30), time(9, 0), 500, 800),
    ("lunch", "午餐", time(11, 0), time(13, 30), 1500, 2000),
    ("dinner", "晚餐", time(17, 0), time(19, 30), 1200, 1800),
)
# How likely a cadre is to eat each meal on a working day, and to have booked it the day before.
APPETITE = {"breakfast": 0.5, "lunch": 0.9, "dinner": 0.3}
BOOKS = {"breakfast": 0.3, "lunch": 0.8, "dinner": 0.2}
DISHES = (
    ("豆浆油条", 300, ["早点"], ("breakfast",)),
    ("鸡蛋灌饼", 400, ["早点"], ("breakfast",)),
    ("红烧肉", 1200, ["荤"], ("lunch", "dinner")),
    ("番茄炒蛋", 600, ["荤"], ("lunch", "dinner")),
    ("清炒时蔬", 400, ["素"], ("lunch", "dinner")),
    ("米饭", 50, ["主食"], ("lunch", "dinner")),
)
COMMENTS = ("味道不错", "分量足", "偏咸了一点", "很新鲜", "", "希望多做几次")


async def seed(demo: DemoContext) -> list[str]:
    """The demo canteen with its all-day terminal, and the first canteen with its past week."""
    lines = await _demo_terminal(demo)
    if await canteens.canteen_exists(CANTEEN):
        return lines
    dish_ids = await _setup_canteen(demo)
    person_ids = await _cardholders(_working_days(now().date())[0])
    device_ids = [(await devices.device_by_code(code) or {})["id"] for code in TERMINALS]
    paid, booked = await _past_week(demo, person_ids, device_ids, dish_ids)
    await _refund_one()
    ahead = await _bookings_ahead(person_ids)
    return [
        *lines,
        f"食堂 {CANTEEN}（早餐/午餐/晚餐）：过去一周 {paid} 笔消费、{booked + ahead} 份报餐（含未来两天）及菜品评价；"
        f"演示卡 {', '.join(DEMO_CARDS.values())} 各有 200 元现金，在编人员已发本月餐补 300 元。",
    ]


async def _demo_terminal(demo: DemoContext) -> list[str]:
    """演示食堂 with its all-day period, and the terminal T-0001 in it; its key is shown once."""
    if not await devices.device_exists(DEMO_TERMINAL):
        device, secret = await devices.register_device(
            CLI_ACTOR, demo.cipher, DEMO_TERMINAL, "演示消费机", DeviceKind.CANTEEN_TERMINAL, "演示食堂"
        )
        demo.secret(f"消费终端 {device['code']} 的设备密钥", secret)
        demo.secret("试用消费终端", f"KIOSK_DEVICE_SECRET={secret} make kiosk，再打开 http://127.0.0.1:8700/")
    if await canteens.canteen_exists(DEMO_CANTEEN):
        return []
    await canteens.create_canteen(
        CLI_ACTOR, DEMO_CANTEEN, "演示食堂", "供试用消费终端，任何时间都可刷卡", scope=Scope.EVERYTHING
    )
    await canteens.set_period(
        CLI_ACTOR,
        DEMO_CANTEEN,
        "demo",
        DEMO_PERIOD,
        time(0, 0),
        time(23, 59),
        20,
        {DinerCategory.STAFF: (1000, 1000), DinerCategory.CONTRACTOR: (1500, 0)},
        scope=Scope.EVERYTHING,
    )
    await canteens.bind_terminal(
        CLI_ACTOR, DEMO_CANTEEN, DEMO_TERMINAL, TerminalMode.FIXED_PRICE, "演示消费机", scope=Scope.EVERYTHING
    )
    return [f"演示食堂 {DEMO_CANTEEN}（{DEMO_PERIOD}）已创建，终端 {DEMO_TERMINAL} 任何时间都可刷演示卡。"]


async def _setup_canteen(demo: DemoContext) -> dict[str, int]:
    """The first canteen: its meals, terminals and dishes; returns the dishes' ids by name."""
    await canteens.create_canteen(CLI_ACTOR, CANTEEN, "行政中心第一食堂", "行政中心一楼", scope=Scope.EVERYTHING)
    for code, name, start, end, staff, contractor in PERIODS:
        await canteens.set_period(
            CLI_ACTOR,
            CANTEEN,
            code,
            name,
            start,
            end,
            1,
            {DinerCategory.STAFF: (staff, staff), DinerCategory.CONTRACTOR: (contractor, 0)},
            scope=Scope.EVERYTHING,
        )
    for number, code in enumerate(TERMINALS, start=1):
        if not await devices.device_exists(code):
            # Their keys are never shown: they stand for terminals that took last week's meals.
            name = f"第一食堂 {number} 号消费机"
            await devices.register_device(
                CLI_ACTOR, demo.cipher, code, name, DeviceKind.CANTEEN_TERMINAL, "行政中心第一食堂"
            )
        await canteens.bind_terminal(
            CLI_ACTOR, CANTEEN, code, TerminalMode.FIXED_PRICE, f"{number} 号消费机", scope=Scope.EVERYTHING
        )
    return {
        name: (await canteens.create_dish(CLI_ACTOR, CANTEEN, name, price, tags, scope=Scope.EVERYTHING))["id"]
        for name, price, tags, _ in DISHES
    }


async def _cardholders(first_day: date) -> dict[str, int]:
    """Every demo cadre with a card and 200 yuan topped up the evening before the week's first
    meal, and established staff that month's subsidy; later months' are granted as the week
    reaches them (`_past_week`), so the wallets' history reads in order."""
    person_ids = await people.people_by_employee_no(list(DEMO_CARDS))
    funded = _at(first_day - timedelta(days=1), time(18, 0))
    for employee_no, uid in DEMO_CARDS.items():
        await wallets.issue_card(CLI_ACTOR, person_ids[employee_no], uid)
        await wallets.adjust(
            CLI_ACTOR, person_ids[employee_no], 20000, "演示充值", f"demo-topup-{employee_no}", at=funded
        )
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.grant_month(f"{first_day:%Y-%m}", max(funded, _at(first_day.replace(day=1), time(0, 5))))
    return person_ids


async def _month_begun(day: date, previous: date) -> None:
    """A new month's subsidy granted (and the last month's cleared) at its first minutes, as the
    monthly job does, when the week crosses into it."""
    if (day.year, day.month) != (previous.year, previous.month):
        await subsidy.grant_month(f"{day:%Y-%m}", _at(day.replace(day=1), time(0, 5)))


def _working_days(today: date) -> list[date]:
    """The last WORKING_DAYS working days before today, oldest first, then today."""
    days: list[date] = []
    day = today
    while len(days) < WORKING_DAYS:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.insert(0, day)
    return [*days, today]


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=BUSINESS_TZ)


async def _menus(day: date, dish_ids: dict[str, int]) -> dict[str, list[int]]:
    """That day's menu of each meal (every dish of the meal), set as the kitchen would."""
    menu = {code: [dish_ids[name] for name, _, _, meals in DISHES if code in meals] for code, *_ in PERIODS}
    for code, ids in menu.items():
        await menus.set_menu(CLI_ACTOR, CANTEEN, day, code, ids, scope=Scope.EVERYTHING)
    return menu


async def _past_week(
    demo: DemoContext, person_ids: dict[str, int], device_ids: list[int], dish_ids: dict[str, int]
) -> tuple[int, int]:
    """The past week's working days and today's meals so far: bookings made the day
    before, payments at the terminals, a rating now and then. Returns (payments, bookings)."""
    moment_now = now()
    today = moment_now.date()
    rng = random.Random(20240601)
    paid = booked = 0
    days = _working_days(today)
    for previous, day in zip([days[0], *days[:-1]], days, strict=True):
        await _month_begun(day, previous)
        menu = await _menus(day, dish_ids)
        for code, _, start, end, _, _ in PERIODS:
            opens, closes = _at(day, start), _at(day, end)
            if closes > moment_now:
                continue
            diners = []
            for employee_no, person_id in person_ids.items():
                if rng.random() < BOOKS[code]:
                    await booking.book(person_id, CANTEEN, day, code, _at(day - timedelta(days=1), time(16, 0)))
                    booked += 1
                if rng.random() < APPETITE[code]:
                    minutes = rng.randrange(5, int((closes - opens).total_seconds() // 60) - 5)
                    diners.append((opens + timedelta(minutes=minutes), employee_no, person_id))
            for moment, employee_no, person_id in sorted(diners):  # in the order the terminals took them
                txn_no = f"{day:%Y%m%d}-{code}-{employee_no}"
                request = payments.PayRequest(txn_no=txn_no, card_uid=DEMO_CARDS[employee_no])
                answer = await payments.pay(demo.redis, rng.choice(device_ids), request, at=moment)
                if answer.http_status != 200:
                    continue
                paid += 1
                if rng.random() < 0.4:
                    await _rate(person_id, txn_no, rng.choice(menu[code]), rng)
    return paid, booked


async def _rate(person_id: int, txn_no: str, dish_id: int, rng: random.Random) -> None:
    payment = await CanteenPayment.get(terminal_txn_no=txn_no, person_id=person_id)
    await menus.rate(person_id, payment.id, dish_id, rng.choice((3, 4, 4, 5, 5)), rng.choice(COMMENTS))


async def _refund_one() -> None:
    """Today's latest payment, refunded (a diner charged by mistake, say): refunds are taken the
    same day, so there is none when nothing was paid yet today."""
    latest = await CanteenPayment.filter(business_date=now().date(), status=PaymentStatus.PAID).order_by("-id").first()
    if latest is not None:
        await canteens.refund(CLI_ACTOR, latest.id, "演示：误刷退款", scope=Scope.EVERYTHING)


async def _bookings_ahead(person_ids: dict[str, int]) -> int:
    """Lunch booked for the next two working days by most cadres, so the kitchen has counts."""
    at = now()
    day, made, days = at.date(), 0, 0
    while days < 2:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        days += 1
        for person_id in list(person_ids.values())[:4]:
            await booking.book(person_id, CANTEEN, day, "lunch", at)
            made += 1
    return made
