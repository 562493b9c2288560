"""A role granted over one canteen: its manager sees, refunds and sets up that canteen only,
through the admin API; a platform-wide admin still reaches every canteen."""

import pytest

from backend.accounts.models import DeviceKind
from backend.accounts.service import devices
from backend.canteen.models import Canteen, CanteenPayment, PaymentStatus, Terminal
from backend.canteen.service import canteens as service
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from tests.helpers import admin_token, bearer
from tests.helpers.errors import assert_error
from tests.helpers.money import assert_books_clean

MANAGER = ["canteen.view_payment", "canteen.refund_payment", "canteen.manage_canteen"]


@pytest.fixture
async def first_manager(client, two_canteens) -> dict:
    """Headers of the manager of 第一食堂 (ST1) alone."""
    return bearer(await admin_token(client, "st1_manager", MANAGER, canteen_code="ST1"))


async def test_a_manager_of_one_canteen_lists_only_its_canteen_and_payments(client, first_manager):
    listed = (await client.get("/admin/v1/canteen/canteens", headers=first_manager)).json()["items"]
    assert [c["code"] for c in listed] == ["ST1"]
    payments = (await client.get("/admin/v1/canteen/payments", headers=first_manager)).json()
    assert [p["terminal_txn_no"] for p in payments["items"]] == ["TX-1"] and payments["total"] == 1
    asked_for_other = (
        await client.get("/admin/v1/canteen/payments", params={"canteen": "ST2"}, headers=first_manager)
    ).json()
    assert asked_for_other["items"] == []
    report = (await client.get("/admin/v1/canteen/reports/daily", headers=first_manager)).json()
    assert [line["canteen"] for line in report["lines"]] == ["ST1"]


async def test_a_manager_of_one_canteen_refunds_there_but_not_in_another(client, first_manager):
    other = await CanteenPayment.get(terminal_txn_no="TX-2")
    refused = await client.post(
        f"/admin/v1/canteen/payments/{other.id}/refund", headers=first_manager, json={"reason": "不是我的食堂"}
    )
    assert_error(refused, 403, "auth.out_of_scope")
    assert (await CanteenPayment.get(id=other.id)).status == PaymentStatus.PAID
    missing = await client.post(
        "/admin/v1/canteen/payments/999999/refund", headers=first_manager, json={"reason": "不存在"}
    )
    assert_error(missing, 404, "canteen.payment_not_found")
    own = await CanteenPayment.get(terminal_txn_no="TX-1")
    done = await client.post(
        f"/admin/v1/canteen/payments/{own.id}/refund", headers=first_manager, json={"reason": "重复刷卡"}
    )
    assert done.status_code == 200
    assert (await CanteenPayment.get(id=own.id)).status == PaymentStatus.REFUNDED
    await assert_books_clean()


async def test_a_manager_of_one_canteen_cannot_read_or_set_up_another(client, first_manager):
    for path in (
        "/canteens/ST2/periods",
        "/canteens/ST2/terminals",
        "/canteens/ST2/bookings",
        "/canteens/ST2/no-shows",
    ):
        assert_error(await client.get(f"/admin/v1/canteen{path}", headers=first_manager), 403, "auth.out_of_scope")
    update = await client.put(
        "/admin/v1/canteen/canteens/ST2",
        headers=first_manager,
        json={
            "name": "改名",
            "location": "",
            "max_payment_fen": 100,
            "offline_max_payment_fen": 100,
            "offline_max_count_per_card": 1,
        },
    )
    assert_error(update, 403, "auth.out_of_scope")
    period = await client.post(
        "/admin/v1/canteen/canteens/ST2/periods",
        headers=first_manager,
        json={
            "code": "dinner",
            "name": "晚餐",
            "starts_at": "17:00",
            "ends_at": "19:00",
            "prices": {"staff": {"price_fen": 1000}},
        },
    )
    assert_error(period, 403, "auth.out_of_scope")
    dish = await client.post(
        "/admin/v1/canteen/canteens/ST2/dishes", headers=first_manager, json={"name": "红烧肉", "price_fen": 1800}
    )
    assert_error(dish, 403, "auth.out_of_scope")
    opened = await client.post(
        "/admin/v1/canteen/canteens", headers=first_manager, json={"code": "ST3", "name": "第三食堂"}
    )
    assert_error(opened, 403, "auth.out_of_scope")
    assert (await Canteen.get(code="ST2")).name == "第二食堂"
    assert [p["code"] for p in await service.list_periods("ST2", scope=Scope.EVERYTHING)] == ["lunch"]
    assert not await Canteen.exists(code="ST3")
    unknown = await client.get("/admin/v1/canteen/canteens/NOPE/periods", headers=first_manager)
    assert_error(unknown, 404, "canteen.canteen_not_found")
    own = await client.put(
        "/admin/v1/canteen/canteens/ST1",
        headers=first_manager,
        json={
            "name": "第一食堂（东区）",
            "location": "",
            "max_payment_fen": 5000,
            "offline_max_payment_fen": 3000,
            "offline_max_count_per_card": 3,
        },
    )
    assert own.status_code == 200 and (await Canteen.get(code="ST1")).name == "第一食堂（东区）"


async def test_a_manager_of_one_canteen_cannot_take_another_canteens_terminal(client, first_manager, runtime):
    await devices.register_device(CLI_ACTOR, runtime.cipher, "T-NEW", "新机", DeviceKind.CANTEEN_TERMINAL, "")
    taken = await client.post(
        "/admin/v1/canteen/canteens/ST1/terminals",
        headers=first_manager,
        json={"device_code": "T-2", "mode": "fixed_price", "name": "抢来的"},
    )
    assert_error(taken, 403, "auth.out_of_scope")
    assert (await Terminal.get(device__code="T-2").select_related("canteen")).canteen.code == "ST2"
    bound = await client.post(
        "/admin/v1/canteen/canteens/ST1/terminals",
        headers=first_manager,
        json={"device_code": "T-NEW", "mode": "fixed_price", "name": "二号窗口"},
    )
    assert bound.status_code == 201


async def test_a_manager_of_one_canteen_cannot_touch_another_canteens_dishes(client, first_manager):
    other_dish = await service.create_dish(CLI_ACTOR, "ST2", "鱼香肉丝", 1600, [], scope=Scope.EVERYTHING)
    ratings = await client.get(f"/admin/v1/canteen/dishes/{other_dish['id']}/ratings", headers=first_manager)
    assert_error(ratings, 403, "auth.out_of_scope")
    menu = await client.post(
        "/admin/v1/canteen/canteens/ST2/menus",
        headers=first_manager,
        json={"date": "2026-11-23", "period": "lunch", "dish_ids": [other_dish["id"]]},
    )
    assert_error(menu, 403, "auth.out_of_scope")


async def test_a_platform_wide_admin_still_reaches_every_canteen(client, two_canteens):
    headers = bearer(await admin_token(client, "chief", MANAGER))
    listed = (await client.get("/admin/v1/canteen/canteens", headers=headers)).json()["items"]
    assert [c["code"] for c in listed] == ["ST1", "ST2"]
    payments = (await client.get("/admin/v1/canteen/payments", headers=headers)).json()["items"]
    assert sorted(p["terminal_txn_no"] for p in payments) == ["TX-1", "TX-2"]
    other = await CanteenPayment.get(terminal_txn_no="TX-2")
    done = await client.post(
        f"/admin/v1/canteen/payments/{other.id}/refund", headers=headers, json={"reason": "重复刷卡"}
    )
    assert done.status_code == 200
    opened = await client.post("/admin/v1/canteen/canteens", headers=headers, json={"code": "ST3", "name": "第三食堂"})
    assert opened.status_code == 201


async def test_a_grant_over_one_canteen_reaches_several_when_given_for_each(client, two_canteens):
    from backend.accounts.models import AdminUser
    from backend.accounts.service import admins

    headers = bearer(await admin_token(client, "both", ["canteen.view_payment"], canteen_code="ST1"))
    admin = await AdminUser.get(username="both")
    await admins.grant_role(CLI_ACTOR, None, admin.id, "r_both", None, ("canteen", "ST2"))
    listed = (await client.get("/admin/v1/canteen/canteens", headers=headers)).json()["items"]
    assert [c["code"] for c in listed] == ["ST1", "ST2"]
