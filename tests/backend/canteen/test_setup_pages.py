"""Setting a canteen up from the console: creating it, its limits in yuan, meal periods with
prices per diner category, and binding terminals; managers may, viewers may not."""

from backend.accounts.models import DeviceKind
from backend.accounts.service import devices
from backend.canteen.models import Canteen, Terminal
from backend.canteen.service import canteens as service
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from tests.helpers import console_admin

MANAGER = ["canteen.view_payment", "canteen.manage_canteen"]


async def test_a_manager_creates_a_canteen_with_its_limit_typed_in_yuan(client, runtime):
    csrf = await console_admin(client, "manager", MANAGER)
    created = await client.post(
        "/console/canteen/canteens/",
        data={"csrf_token": csrf, "code": "C2", "name": "机关二食堂", "max_payment_fen": "80.5"},
    )
    assert created.status_code == 302 and created.headers["location"] == "/console/canteen/canteens/C2?done=created"
    assert (await Canteen.get(code="C2")).max_payment_fen == 8050
    page = await client.get(created.headers["location"])
    assert "机关二食堂" in page.text and "尚未设置餐次" in page.text and "80.50" in page.text


async def test_a_canteen_form_with_a_bad_amount_or_taken_code_says_so_at_the_field(client, canteen):
    csrf = await console_admin(client, "manager", MANAGER)
    bad_amount = await client.post(
        "/console/canteen/canteens/",
        data={"csrf_token": csrf, "code": "C3", "name": "三食堂", "max_payment_fen": "12.345"},
    )
    assert bad_amount.status_code == 422 and "最多两位小数" in bad_amount.text and 'value="三食堂"' in bad_amount.text
    taken = await client.post(
        "/console/canteen/canteens/",
        data={"csrf_token": csrf, "code": canteen, "name": "重复", "max_payment_fen": "10"},
    )
    assert taken.status_code == 422 and "食堂编码已存在" in taken.text
    assert await Canteen.filter(code="C3").count() == 0


async def test_updating_limits_is_audited_and_reaches_the_api(client, canteen):
    csrf = await console_admin(client, "manager", MANAGER)
    saved = await client.post(
        f"/console/canteen/canteens/{canteen}",
        data={
            "csrf_token": csrf,
            "name": "第一食堂（东区）",
            "location": "东区一楼",
            "max_payment_fen": "60",
            "offline_max_payment_fen": "25.00",
            "offline_max_count_per_card": "2",
        },
    )
    assert saved.headers["location"].endswith("?done=updated")
    view = await service.get_canteen(canteen, scope=Scope.EVERYTHING)
    assert (
        view["name"],
        view["max_payment_fen"],
        view["offline_max_payment_fen"],
        view["offline_max_count_per_card"],
    ) == ("第一食堂（东区）", 6000, 2500, 2)
    [entry] = await AuditEntry.filter(action="canteen.update_canteen")
    assert entry.before["max_payment_fen"] == 5000 and entry.after["max_payment_fen"] == 6000


async def test_saving_a_period_sets_prices_per_diner_category_and_refuses_overlaps(client, canteen):
    csrf = await console_admin(client, "manager", MANAGER)
    saved = await client.post(
        f"/console/canteen/canteens/{canteen}/periods",
        data={
            "csrf_token": csrf,
            "code": "lunch",
            "name": "午餐",
            "starts_at": "11:00",
            "ends_at": "13:30",
            "max_swipes_per_card": "1",
            "booking_cutoff_hours": "3",
            "price_staff": "16",
            "cap_staff": "10.00",
            "price_visitor": "25",
            "price_contractor": "",
        },
    )
    assert saved.headers["location"].endswith("?done=period_saved")
    [lunch] = await service.list_periods(canteen, scope=Scope.EVERYTHING)
    assert (lunch["starts_at"], lunch["ends_at"], lunch["booking_cutoff_hours"]) == ("11:00", "13:30", 3)
    assert lunch["prices"] == {
        "staff": {"price_fen": 1600, "subsidy_cap_fen": 1000},
        "visitor": {"price_fen": 2500, "subsidy_cap_fen": 0},
    }
    overlapping = await client.post(
        f"/console/canteen/canteens/{canteen}/periods",
        data={
            "csrf_token": csrf,
            "code": "dinner",
            "name": "晚餐",
            "starts_at": "13:00",
            "ends_at": "19:00",
            "price_staff": "12",
        },
    )
    assert overlapping.status_code == 422 and "不与其他餐次重叠" in overlapping.text
    cap_without_price = await client.post(
        f"/console/canteen/canteens/{canteen}/periods",
        data={
            "csrf_token": csrf,
            "code": "dinner",
            "name": "晚餐",
            "starts_at": "17:00",
            "ends_at": "19:00",
            "cap_contractor": "5",
        },
    )
    assert cap_without_price.status_code == 422 and "须同时填写价格" in cap_without_price.text
    free = await client.post(
        f"/console/canteen/canteens/{canteen}/periods",
        data={
            "csrf_token": csrf,
            "code": "dinner",
            "name": "晚餐",
            "starts_at": "17:00",
            "ends_at": "19:00",
            "price_staff": "0",
        },
    )
    assert free.status_code == 422
    assert [p["code"] for p in await service.list_periods(canteen, scope=Scope.EVERYTHING)] == ["lunch"]
    editing = await client.get(f"/console/canteen/canteens/{canteen}?period=lunch")
    assert "修改餐次" in editing.text and 'name="price_staff" value="16.00"' in editing.text


async def test_binding_a_terminal_lists_it_with_its_state(client, canteen, runtime):
    await devices.register_device(CLI_ACTOR, runtime.cipher, "T-9", "九号机", DeviceKind.CANTEEN_TERMINAL, "")
    await devices.register_device(CLI_ACTOR, runtime.cipher, "G-1", "东门", DeviceKind.GATE_CONTROLLER, "")
    csrf = await console_admin(client, "manager", MANAGER)
    page = await client.get(f"/console/canteen/canteens/{canteen}")
    assert "T-9 九号机" in page.text and "G-1 东门" not in page.text
    gate = await client.post(
        f"/console/canteen/canteens/{canteen}/terminals",
        data={"csrf_token": csrf, "device_code": "G-1", "mode": "fixed_price", "name": "东门"},
    )
    assert gate.status_code == 422 and "只有消费终端或自助终端可以绑定到食堂" in gate.text
    bound = await client.post(
        f"/console/canteen/canteens/{canteen}/terminals",
        data={"csrf_token": csrf, "device_code": "T-9", "mode": "menu", "name": "二楼 3 号窗口"},
    )
    assert bound.headers["location"].endswith("?done=terminal_bound")
    assert (await Terminal.get(device__code="T-9")).mode.value == "menu"
    page = await client.get(f"/console/canteen/canteens/{canteen}")
    assert "二楼 3 号窗口" in page.text and "从未上线" in page.text


async def test_a_viewer_sees_the_setup_but_may_not_change_it(client, canteen):
    csrf = await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get(f"/console/canteen/canteens/{canteen}")
    assert page.status_code == 200 and "第一食堂" in page.text and "保存餐次" not in page.text
    refused = await client.post(
        f"/console/canteen/canteens/{canteen}",
        data={
            "csrf_token": csrf,
            "name": "改名",
            "max_payment_fen": "1",
            "offline_max_payment_fen": "1",
            "offline_max_count_per_card": "1",
        },
    )
    assert refused.status_code == 403
    assert (await service.get_canteen(canteen, scope=Scope.EVERYTHING))["name"] == "第一食堂"


async def test_an_unknown_canteen_is_a_not_found_page(client, canteen):
    await console_admin(client, "viewer", ["canteen.view_payment"])
    missing = await client.get("/console/canteen/canteens/NOPE")
    assert missing.status_code == 404 and "食堂不存在" in missing.text
