"""Bookings and ratings from the console: the kitchen's numbers per meal period, who booked
(filtered by day, canteen and the diner's unit, exported to Excel), the no-show rate over a range;
each dish's average score and count, lowest first on request, with the latest comments; and a
manager of one canteen sees only that canteen's."""

import io
from datetime import datetime, time, timedelta

from openpyxl import load_workbook

from backend.accounts.models import Person
from backend.canteen.models import CanteenPayment
from backend.canteen.service import booking, canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, today
from tests.helpers import console_admin

VIEWER = ["canteen.view_payment"]


async def book(employee_no: str, canteen: str, day) -> None:
    person = await Person.get(employee_no=employee_no)
    the_day_before = datetime.combine(day - timedelta(days=1), time(9), tzinfo=BUSINESS_TZ)
    await booking.book(person.id, canteen, day, "lunch", the_day_before)


async def test_the_kitchen_counts_who_booked_and_the_no_show_rate(client, two_canteens):
    day = today()
    for employee_no in ("D0001", "D0002", "D0005"):
        await book(employee_no, "ST1", day)
    await book("D0003", "ST2", day)
    await console_admin(client, "chief", VIEWER)
    page = await client.get(f"/console/canteen/bookings?day={day}&canteen=ST1")
    assert 'data-period="ST1-lunch">3<' in page.text and "ST2-lunch" not in page.text
    assert "张伟" in page.text and "王芳" in page.text and "李娜" not in page.text
    # D0001 paid for lunch at ST1 (the fixture's TX-1): the other two are no-shows.
    assert 'data-testid="no-show-rate">66.7%<' in page.text
    by_unit = await client.get(f"/console/canteen/bookings?day={day}&unit=FGW")
    assert "张伟" in by_unit.text and "王芳" in by_unit.text and "陈静" not in by_unit.text
    export = await client.get(f"/console/canteen/bookings/export.xlsx?day={day}&unit=FGW")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][:5] == ("就餐日", "餐次", "食堂", "工号", "姓名")
    assert sorted(r[3] for r in rows[1:]) == ["D0001", "D0002"] and {r[6] for r in rows[1:]} == {"报餐"}


async def test_a_manager_of_one_canteen_sees_only_its_bookings(client, two_canteens):
    day = today()
    await book("D0001", "ST1", day)
    await book("D0003", "ST2", day)
    await console_admin(client, "st1_manager", VIEWER, canteen_code="ST1")
    page = await client.get(f"/console/canteen/bookings?day={day}&canteen=ST2")
    assert "张伟" in page.text and "李娜" not in page.text and "第二食堂" not in page.text
    export = await client.get(f"/console/canteen/bookings/export.xlsx?day={day}")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["D0001"]


async def test_a_wrong_range_falls_back_to_the_week_and_a_wrong_day_to_today(client, canteen):
    await console_admin(client, "chief", VIEWER)
    page = await client.get("/console/canteen/bookings?day=2026-13-40&from=2026-11-30&to=2026-11-01")
    assert page.status_code == 200
    assert f"{(today() - timedelta(days=6)).isoformat()} 至 {today().isoformat()}" in page.text
    assert "还没有人报餐" in page.text


async def rated_lunch() -> dict[str, int]:
    """Today's ST1 lunch menu of three dishes, rated by D0001 who paid for it (the fixture's TX-1)."""
    dishes = {
        name: (await canteens.create_dish(CLI_ACTOR, "ST1", name, price, [], scope=Scope.EVERYTHING))["id"]
        for name, price in (("红烧肉", 1500), ("清蒸鱼", 1800), ("米饭", 100))
    }
    await menus.set_menu(CLI_ACTOR, "ST1", today(), "lunch", list(dishes.values()), scope=Scope.EVERYTHING)
    payment = await CanteenPayment.get(terminal_txn_no="TX-1")
    await menus.rate(payment.person_id, payment.id, dishes["红烧肉"], 5, "肥而不腻")
    await menus.rate(payment.person_id, payment.id, dishes["清蒸鱼"], 2, "鱼不新鲜")
    return dishes


async def test_ratings_show_each_dishes_average_and_the_lowest_first_on_request(client, two_canteens):
    dishes = await rated_lunch()
    await console_admin(client, "chief", VIEWER)
    page = await client.get("/console/canteen/ratings?canteen=ST1")
    assert "5.00" in page.text and "2.00" in page.text and "鱼不新鲜" in page.text and "肥而不腻" in page.text
    low = await client.get("/console/canteen/ratings?canteen=ST1&order=low")
    assert low.text.index("清蒸鱼") < low.text.index("红烧肉") < low.text.index("米饭")
    one = await client.get(f"/console/canteen/ratings?canteen=ST1&dish={dishes['红烧肉']}")
    assert "“红烧肉”的最近评价" in one.text and "肥而不腻" in one.text and "鱼不新鲜" not in one.text


async def test_a_manager_of_one_canteen_sees_only_its_ratings(client, two_canteens):
    dishes = await rated_lunch()
    await console_admin(client, "st2_manager", VIEWER, canteen_code="ST2")
    page = await client.get(f"/console/canteen/ratings?canteen=ST1&dish={dishes['清蒸鱼']}")
    assert page.status_code == 200 and "第二食堂" in page.text
    assert "清蒸鱼" not in page.text and "鱼不新鲜" not in page.text
