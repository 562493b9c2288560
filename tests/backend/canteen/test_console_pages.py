"""Canteen managers' console pages: payments with filters, an error refund from the list,
the daily report and its export."""

import io
import re

from openpyxl import load_workbook

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.demo import create_superadmin
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import PASSWORD, console_admin, console_login
from tests.helpers.money import assert_books_clean


async def _two_payments(client, terminal):
    await cardholder("D0001", "AA000001", cash=10_000)
    await cardholder("D0002", "AA000002", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    assert (await pay(client, terminal, "TX-2", card_uid="AA000002")).status_code == 200


async def test_payments_list_filters_by_employee_number_and_exports(client, terminal):
    await _two_payments(client, terminal)
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    page = await client.get("/console/canteen/payments?employee_no=D0002")
    assert "王芳（D0002）" in page.text and "张伟（D0001）" not in page.text
    export = await client.get("/console/canteen/payments/export.xlsx?canteen=ST1")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0][5] == "金额（元）" and [r[5] for r in rows[1:]] == [15.0, 15.0]


async def test_a_refund_from_the_list_reverses_the_payment_and_is_audited(client, terminal):
    await _two_payments(client, terminal)
    csrf = await console_admin(client, "manager", ["canteen.view_payment", "canteen.refund_payment"])
    payment = await CanteenPayment.get(terminal_txn_no="TX-1")
    no_reason = await client.post(
        f"/console/canteen/payments/{payment.id}/refund",
        data={"csrf_token": csrf, "reason": "", "back": "?employee_no=D0001"},
    )
    assert no_reason.headers["location"] == "/console/canteen/payments?employee_no=D0001&error=reason"
    assert "请填写退款原因" in (await client.get(no_reason.headers["location"])).text
    done = await client.post(
        f"/console/canteen/payments/{payment.id}/refund",
        data={"csrf_token": csrf, "reason": "重复刷卡", "back": "?employee_no=D0001"},
    )
    assert done.headers["location"].endswith("&done=refunded")
    assert (await CanteenPayment.get(id=payment.id)).status == PaymentStatus.REFUNDED
    again = await client.post(
        f"/console/canteen/payments/{payment.id}/refund", data={"csrf_token": csrf, "reason": "重复刷卡"}
    )
    page = await client.get(again.headers["location"])
    assert "只能当天对已支付的消费退款" in page.text
    await assert_books_clean()


async def test_a_disputed_payment_is_noted_and_listed_as_flagged(client, terminal):
    await _two_payments(client, terminal)
    await CanteenPayment.filter(terminal_txn_no="TX-1").update(disputed=True)
    await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get("/console/canteen/payments", params={"flagged": "1"})
    assert "终端已提示拒绝（待核查）" in page.text and "D0001" in page.text and "D0002" not in page.text


async def test_viewing_payments_does_not_grant_refunds(client, terminal):
    await _two_payments(client, terminal)
    csrf = await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get("/console/canteen/payments")
    assert "确认退款" not in page.text
    payment = await CanteenPayment.get(terminal_txn_no="TX-1")
    refused = await client.post(
        f"/console/canteen/payments/{payment.id}/refund", data={"csrf_token": csrf, "reason": "试试"}
    )
    assert refused.status_code == 403
    assert (await CanteenPayment.get(id=payment.id)).status == PaymentStatus.PAID


async def test_daily_report_totals_and_export(client, terminal):
    await _two_payments(client, terminal)
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    page = await client.get("/console/canteen/report")
    assert re.search(r"合计</th><th class=\"num\">2</th><th class=\"num\">30.00</th>", page.text)
    assert "午餐" in page.text and "报餐人数" in page.text
    export = await client.get("/console/canteen/report.xlsx?day=not-a-day")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and rows[-1][3] == 2


async def test_daily_report_shows_booked_eaten_and_no_shows_per_period_and_exports_them(client, terminal):
    from datetime import datetime, time, timedelta

    from backend.accounts.models import Person
    from backend.canteen.service import booking
    from backend.core.timeutil import BUSINESS_TZ, today

    day = today()
    day_before = datetime.combine(day - timedelta(days=1), time(9), tzinfo=BUSINESS_TZ)
    for employee_no in ("D0001", "D0002", "D0005"):
        await booking.book((await Person.get(employee_no=employee_no)).id, "ST1", day, "lunch", day_before)
    await cardholder("D0001", "AA000001", cash=10_000)
    await cardholder("D0003", "AA000003", cash=10_000)  # eats without having booked: not counted
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    assert (await pay(client, terminal, "TX-3", card_uid="AA000003")).status_code == 200
    await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get("/console/canteen/report")
    row = re.search(r'data-testid="attendance".*?<tbody>(.*?)</tbody>', page.text, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["3", "1", "2", "66.7%"]
    export = await client.get(f"/console/canteen/report.xlsx?day={day.isoformat()}")
    sheet = load_workbook(io.BytesIO(export.content))["报餐就餐"]
    assert list(sheet.iter_rows(min_row=2, values_only=True)) == [
        ("食堂", "餐次", "报餐人数", "已就餐", "未就餐", "未就餐率"),
        ("第一食堂", "午餐", 3, 1, 2, "66.7%"),
    ]
    earlier = await client.get(f"/console/canteen/report?day={(day - timedelta(days=1)).isoformat()}")
    assert re.findall(r'<td class="num">([^<]*)</td>', earlier.text.split('data-testid="attendance"')[1]) == [
        "0",
        "0",
        "0",
        "—",
    ]
