"""Setting repairs up from the console: categories with team and working-hour limits, teams by
employee number, the location tree and the spare-parts stock; those who may see reports see
it all, only settings managers (or, for the stock, parts managers) change it."""

import pytest

from backend.core.models import AuditEntry
from backend.places.models import Place
from backend.repairs.models import PartMovement, RepairCategory, SparePart
from backend.repairs.service import catalog
from tests.helpers import console_admin

VIEWER = ["repairs.view_report"]
SETTINGS = ["repairs.view_report", "repairs.manage_settings"]
STOCK = ["repairs.view_report", "repairs.manage_parts"]


async def test_a_viewer_sees_categories_and_teams_but_may_not_change_them(client, repairs_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/repairs/settings")
    assert page.status_code == 200
    assert "水电班" in page.text and "刘洋" in page.text and "16 小时" in page.text and "陈静" in page.text
    assert "保存类别" not in page.text and "保存班组" not in page.text
    for path, data in (
        ("settings/categories", {"code": "lift", "name": "电梯", "accept_hours": "1", "resolve_hours": "8"}),
        ("settings/teams", {"code": "WX1", "name": "改名"}),
    ):
        assert (await client.post(f"/console/repairs/{path}", data={"csrf_token": csrf, **data})).status_code == 403
    assert not await RepairCategory.exists(code="lift")


async def test_a_manager_adds_a_category_with_its_team_and_limits(client, repairs_world):
    csrf = await console_admin(client, "manager", SETTINGS)
    saved = await client.post(
        "/console/repairs/settings/categories",
        data={
            "csrf_token": csrf,
            "code": "lift",
            "name": "电梯",
            "team_code": "WX1",
            "accept_hours": "0.5",
            "resolve_hours": "4",
            "auto_assign": "on",
            "is_active": "on",
        },
    )
    assert saved.status_code == 302 and saved.headers["location"].endswith("?done=category_saved")
    lift = await RepairCategory.get(code="lift").select_related("team")
    assert (
        lift.name,
        lift.team.code,
        float(lift.accept_hours),
        float(lift.resolve_hours),
        lift.auto_assign,
        lift.is_active,
    ) == ("电梯", "WX1", 0.5, 4.0, True, True)
    assert await AuditEntry.filter(action="repairs.save_category", object_id=str(lift.id)).exists()
    editing = await client.get("/console/repairs/settings?category=lift")
    assert 'name="accept_hours" value="0.5"' in editing.text and "修改类别" in editing.text
    # an unticked box is posted as nothing at all: it means "no"
    await client.post(
        "/console/repairs/settings/categories",
        data={"csrf_token": csrf, "code": "lift", "name": "电梯", "accept_hours": "0.5", "resolve_hours": "4"},
    )
    lift = await RepairCategory.get(code="lift")
    assert (lift.auto_assign, lift.is_active, lift.team_id) == (False, False, None)


async def test_a_category_form_says_what_is_wrong_at_the_field(client, repairs_world):
    csrf = await console_admin(client, "manager", SETTINGS)
    no_hours = await client.post(
        "/console/repairs/settings/categories",
        data={"csrf_token": csrf, "code": "lift", "name": "电梯", "accept_hours": "0", "resolve_hours": "4"},
    )
    assert no_hours.status_code == 422 and 'value="电梯"' in no_hours.text
    assert '<label class="field has-error">\n  <span class="field-label">受理时限' in no_hours.text
    no_team = await client.post(
        "/console/repairs/settings/categories",
        data={
            "csrf_token": csrf,
            "code": "lift",
            "name": "电梯",
            "team_code": "NOPE",
            "accept_hours": "1",
            "resolve_hours": "4",
        },
    )
    assert no_team.status_code == 422 and "维修班组不存在" in no_team.text
    assert not await RepairCategory.exists(code="lift")


async def test_a_team_is_saved_with_exactly_the_members_typed(client, repairs_world):
    csrf = await console_admin(client, "manager", SETTINGS)
    saved = await client.post(
        "/console/repairs/settings/teams",
        data={
            "csrf_token": csrf,
            "code": "WX1",
            "name": "水电班",
            "dispatcher_employee_no": "D0005",
            "member_employee_nos": "D0004, D0001\nD0003，D0004",
        },
    )
    assert saved.headers["location"].endswith("?done=team_saved")
    [team] = await catalog.list_teams()
    assert [m["employee_no"] for m in team["members"]] == ["D0001", "D0003", "D0004"]
    editing = await client.get("/console/repairs/settings?team=WX1")
    assert ">D0001\nD0003\nD0004</textarea>" in editing.text


@pytest.mark.parametrize(
    "field, data",
    [
        ("member_employee_nos", {"member_employee_nos": "D0004\nD9999"}),
        ("dispatcher_employee_no", {"dispatcher_employee_no": "D9999", "member_employee_nos": "D0004"}),
    ],
)
async def test_an_unknown_employee_number_is_named_at_its_field(client, repairs_world, field, data):
    csrf = await console_admin(client, "manager", SETTINGS)
    refused = await client.post(
        "/console/repairs/settings/teams", data={"csrf_token": csrf, "code": "WX1", "name": "水电班", **data}
    )
    assert refused.status_code == 422
    form = refused.text[refused.text.index('id="team-form"') :]
    label = {"member_employee_nos": "维修人员工号", "dispatcher_employee_no": "调度员工号"}[field]
    assert form.index(label) < form.index("工号 D9999 不存在或已离职") < form.index("保存班组")
    assert [m["employee_no"] for m in (await catalog.list_teams())[0]["members"]] == ["D0004"]


async def test_locations_grow_building_floor_room_and_no_deeper(client, repairs_world):
    csrf = await console_admin(client, "manager", SETTINGS)
    page = await client.get("/console/repairs/locations")
    assert page.status_code == 200 and "市民中心A座" in page.text and "301" in page.text
    added = await client.post(
        "/console/repairs/locations", data={"csrf_token": csrf, "name": "4楼", "parent_id": str(repairs_world.building)}
    )
    assert (
        added.headers["location"] == f"/console/repairs/locations?done=location_created&parent={repairs_world.building}"
    )
    assert (await Place.get(name="4楼")).full_name == "市民中心A座 4楼"
    under_a_room = await client.post(
        "/console/repairs/locations", data={"csrf_token": csrf, "name": "柜子", "parent_id": str(repairs_world.room)}
    )
    assert under_a_room.status_code == 422 and "地点层级不正确" in under_a_room.text
    building = await client.post("/console/repairs/locations", data={"csrf_token": csrf, "name": "市民中心B座"})
    assert building.status_code == 302 and (await Place.get(name="市民中心B座")).parent_id is None


async def test_a_viewer_may_not_add_a_location(client, repairs_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/repairs/locations")
    assert "市民中心A座" in page.text and "添加地点" not in page.text
    refused = await client.post("/console/repairs/locations", data={"csrf_token": csrf, "name": "B座"})
    assert refused.status_code == 403 and not await Place.exists(name="B座")


async def test_parts_are_created_stocked_in_and_flagged_when_low(client, repairs_world):
    csrf = await console_admin(client, "storekeeper", STOCK)
    created = await client.post(
        "/console/repairs/parts",
        data={"csrf_token": csrf, "code": "VALVE", "name": "角阀", "unit": "只", "low_stock": "3"},
    )
    part = await SparePart.get(code="VALVE")
    assert created.headers["location"] == f"/console/repairs/parts?part={part.id}&done=part_created"
    page = await client.get(created.headers["location"])
    assert "库存不足" in page.text and "还没有出入库记录" in page.text
    stocked = await client.post(
        f"/console/repairs/parts/{part.id}/stock-in", data={"csrf_token": csrf, "quantity": "10", "note": "采购入库"}
    )
    assert stocked.headers["location"].endswith("&done=stocked_in")
    page = await client.get(stocked.headers["location"])
    assert "库存不足" not in page.text and "10 只" in page.text and "+10" in page.text and "采购入库" in page.text
    taken = await client.post("/console/repairs/parts", data={"csrf_token": csrf, "code": "VALVE", "name": "又一个"})
    assert taken.status_code == 422 and "备件编码已存在" in taken.text
    bad = await client.post(f"/console/repairs/parts/{part.id}/stock-in", data={"csrf_token": csrf, "quantity": "0"})
    assert bad.status_code == 422 and 'class="field has-error"' in bad.text
    assert await PartMovement.filter(part_id=part.id).count() == 1


@pytest.mark.parametrize("permissions", [VIEWER, SETTINGS])
async def test_only_parts_managers_change_the_stock(client, repairs_world, permissions):
    part = await SparePart.create(code="LED", name="LED 灯泡", quantity=5, low_stock=2)
    csrf = await console_admin(client, "someone", permissions)
    page = await client.get(f"/console/repairs/parts?part={part.id}")
    assert page.status_code == 200 and "LED 灯泡" in page.text and "入库数量" not in page.text
    assert (
        await client.post(f"/console/repairs/parts/{part.id}/stock-in", data={"csrf_token": csrf, "quantity": "5"})
    ).status_code == 403
    assert (
        await client.post("/console/repairs/parts", data={"csrf_token": csrf, "code": "NEW", "name": "新"})
    ).status_code == 403
    assert (await SparePart.get(id=part.id)).quantity == 5


async def test_settings_changes_need_the_csrf_token(client, repairs_world):
    await console_admin(client, "manager", SETTINGS + STOCK)
    for path, data in (
        ("settings/categories", {"code": "lift", "name": "电梯", "accept_hours": "1", "resolve_hours": "8"}),
        ("locations", {"name": "B座"}),
        ("parts", {"code": "NEW", "name": "新"}),
    ):
        refused = await client.post(f"/console/repairs/{path}", data=data)
        assert refused.status_code == 403 and "页面已失效" in refused.text, path
