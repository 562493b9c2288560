"""The console for a manager of one canteen: payments, refunds, the daily report, the setup
pages and the dashboard show and act on that canteen only; a platform-wide admin sees all."""

import io

from openpyxl import load_workbook

from backend.canteen.models import Canteen, CanteenPayment, PaymentStatus, Terminal
from tests.helpers import console_admin

MANAGER = ["canteen.view_payment", "canteen.refund_payment", "canteen.manage_canteen"]


async def test_a_manager_of_one_canteen_sees_only_its_payments_and_exports(client, two_canteens):
    await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    page = await client.get("/console/canteen/payments")
    assert "张伟（D0001）" in page.text and "王芳（D0002）" not in page.text
    assert '<option value="ST2"' not in page.text
    export = await client.get("/console/canteen/payments/export.xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["第一食堂"]


async def test_a_manager_of_one_canteen_refunds_there_but_not_in_another(client, two_canteens):
    csrf = await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    other = await CanteenPayment.get(terminal_txn_no="TX-2")
    refused = await client.post(
        f"/console/canteen/payments/{other.id}/refund", data={"csrf_token": csrf, "reason": "不是我的食堂"}
    )
    assert refused.status_code == 403 and "该数据不在您的管理范围内" in refused.text
    assert (await CanteenPayment.get(id=other.id)).status == PaymentStatus.PAID
    own = await CanteenPayment.get(terminal_txn_no="TX-1")
    done = await client.post(
        f"/console/canteen/payments/{own.id}/refund", data={"csrf_token": csrf, "reason": "重复刷卡"}
    )
    assert done.headers["location"].endswith("&done=refunded")
    assert (await CanteenPayment.get(id=own.id)).status == PaymentStatus.REFUNDED


async def test_refund_buttons_follow_the_refund_scope_not_the_viewing_scope(client, two_canteens):
    from backend.accounts.models import AdminUser
    from backend.accounts.service import admins
    from backend.core.audit import CLI_ACTOR

    await console_admin(client, "cashier", ["canteen.view_payment"])
    await admins.create_role(CLI_ACTOR, None, "st2_refunds", "二食堂退款", ["canteen.refund_payment"])
    await admins.grant_role(
        CLI_ACTOR, None, (await AdminUser.get(username="cashier")).id, "st2_refunds", None, ("canteen", "ST2")
    )
    page = await client.get("/console/canteen/payments")
    assert "张伟（D0001）" in page.text and "王芳（D0002）" in page.text
    assert page.text.count("确认退款") == 1
    other = await CanteenPayment.get(terminal_txn_no="TX-2")
    assert f"/console/canteen/payments/{other.id}/refund" in page.text


async def test_the_daily_report_and_its_export_cover_only_the_managers_canteen(client, two_canteens):
    await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    page = await client.get("/console/canteen/report")
    assert "第一食堂" in page.text and "第二食堂" not in page.text
    book = load_workbook(io.BytesIO((await client.get("/console/canteen/report.xlsx")).content))
    daily = list(book["日报"].iter_rows(values_only=True))
    assert [r[0] for r in daily[2:]] == ["第一食堂", "合计"] and daily[-1][4] == 15.0
    assert [r[0] for r in book["报餐就餐"].iter_rows(min_row=3, values_only=True)] == ["第一食堂"]


async def test_the_dashboard_counts_only_the_managers_canteen(client, two_canteens):
    await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    page = await client.get("/console/")
    assert 'data-testid="meals-today">1<' in page.text and "第二食堂" not in page.text


async def test_a_manager_of_one_canteen_sets_up_that_canteen_only(client, two_canteens):
    csrf = await console_admin(client, "st1_manager", MANAGER, canteen_code="ST1")
    listing = await client.get("/console/canteen/canteens/")
    assert "第一食堂" in listing.text and "第二食堂" not in listing.text and "新建食堂" not in listing.text
    assert (await client.get("/console/canteen/canteens/ST2")).status_code == 403
    own = await client.get("/console/canteen/canteens/ST1")
    assert own.status_code == 200 and "T-2 " not in own.text  # another canteen's terminal is not offered
    edit = await client.post(
        "/console/canteen/canteens/ST2",
        data={
            "csrf_token": csrf,
            "name": "改名",
            "location": "",
            "max_payment_fen": "10",
            "offline_max_payment_fen": "5",
            "offline_max_count_per_card": "1",
        },
    )
    assert edit.status_code == 403
    period = await client.post(
        "/console/canteen/canteens/ST2/periods",
        data={
            "csrf_token": csrf,
            "code": "dinner",
            "name": "晚餐",
            "starts_at": "17:00",
            "ends_at": "19:00",
            "price_staff": "12",
        },
    )
    assert period.status_code == 403
    taken = await client.post(
        "/console/canteen/canteens/ST1/terminals",
        data={"csrf_token": csrf, "device_code": "T-2", "mode": "fixed_price", "name": "抢来的"},
    )
    assert taken.status_code == 422 and "该数据不在您的管理范围内" in taken.text
    opened = await client.post(
        "/console/canteen/canteens/",
        data={"csrf_token": csrf, "code": "ST3", "name": "第三食堂", "max_payment_fen": "50"},
    )
    assert opened.status_code == 403 and not await Canteen.exists(code="ST3")
    assert (await Canteen.get(code="ST2")).name == "第二食堂"
    assert (await Terminal.get(device__code="T-2").select_related("canteen")).canteen.code == "ST2"


async def test_a_platform_wide_manager_still_sees_and_sets_up_every_canteen(client, two_canteens):
    await console_admin(client, "chief", MANAGER)
    payments = await client.get("/console/canteen/payments")
    assert "张伟（D0001）" in payments.text and "王芳（D0002）" in payments.text
    listing = await client.get("/console/canteen/canteens/")
    assert "第二食堂" in listing.text and "新建食堂" in listing.text
    other = await client.get("/console/canteen/canteens/ST2")
    assert other.status_code == 200 and "保存" in other.text
    report = await client.get("/console/canteen/report")
    assert "第一食堂" in report.text and "第二食堂" in report.text
