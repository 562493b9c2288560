"""The asset cards, import and setup in the console and the admin API: pages render for whoever
may see them and are refused to anyone else, an admin over a unit sees only its subtree's cards,
forms write through the services and say what is wrong at the field, and the exports open."""

import io

import openpyxl

from backend.assets.models import Asset, AssetCategory, AssetOfficer
from tests.helpers import admin_token, bearer, console_admin
from tests.helpers.assets_import import GOOD
from tests.helpers.assets_import import register_xlsx as _xlsx

VIEWER = ["assets.view_assets"]
STAFF = ["assets.view_assets", "assets.manage_assets"]
SETUP = ["assets.manage_setup"]


async def test_the_card_pages_render_for_a_viewer_and_are_refused_without_the_permission(client, assets_world):
    pc = assets_world.assets["pc"]
    pages = ("/console/assets/cards", "/console/assets/cards/export.xlsx", f"/console/assets/cards/{pc.id}")
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in pages:
        assert (await client.get(path)).status_code == 403, path

    await console_admin(client, "viewer", VIEWER)
    listed = await client.get("/console/assets/cards?q=计算机")
    assert listed.status_code == 200 and pc.asset_no in listed.text and "办公椅" not in listed.text
    card = await client.get(f"/console/assets/cards/{pc.id}")
    assert card.status_code == 200 and "台式计算机" in card.text
    assert "市发展和改革委员会·办公室" in card.text  # the unit with its agency, as the space pages name it
    exported = await client.get("/console/assets/cards/export.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(exported.content)).active.max_row == 5
    for path in ("/console/assets/cards/new", "/console/assets/imports", f"/console/assets/cards/{pc.id}/edit"):
        assert (await client.get(path)).status_code == 403, path


async def test_an_admin_over_a_unit_sees_only_its_subtrees_cards(client, assets_world):
    await console_admin(client, "czj", VIEWER, unit_code="CZJ")

    listed = await client.get("/console/assets/cards")

    assert "办公椅" in listed.text and "台式计算机" not in listed.text
    assert (await client.get(f"/console/assets/cards/{assets_world.assets['pc'].id}")).status_code == 404


async def test_staff_register_a_card_in_yuan_and_a_bad_value_is_shown_at_its_field(client, assets_world):
    w = assets_world
    csrf = await console_admin(client, "staff", STAFF)
    form = {
        "csrf_token": csrf,
        "name": "投影仪",
        "category_id": str(w.categories["A020101"].id),
        "unit_id": str(w.units["FGW-BGS"]),
        "place_id": str(w.places["301"]),
        "status": "in_use",
        "original_value_fen": "-3",
        "purchase_date": "2024-06-01",
    }

    refused = await client.post("/console/assets/cards/new", data=form)
    assert refused.status_code == 422 and not await Asset.filter(name="投影仪").exists()

    created = await client.post("/console/assets/cards/new", data={**form, "original_value_fen": "4999.90"})
    assert created.status_code == 302
    asset = await Asset.get(name="投影仪")
    assert (
        asset.original_value_fen == 499990
        and created.headers["location"] == f"/console/assets/cards/{asset.id}?done=created"
    )


async def test_staff_check_then_import_a_register_and_see_the_bad_rows(client, assets_world):
    csrf = await console_admin(client, "staff", STAFF)
    bad = [GOOD[0], ["", *GOOD[1][1:]]]

    refused = await client.post(
        "/console/assets/imports", data={"csrf_token": csrf, "mode": "apply"}, files={"file": ("a.xlsx", _xlsx(bad))}
    )
    assert refused.status_code == 422 and "第 3 行" in refused.text and "资产名称" in refused.text

    done = await client.post(
        "/console/assets/imports", data={"csrf_token": csrf, "mode": "apply"}, files={"file": ("a.xlsx", _xlsx(GOOD))}
    )
    assert done.status_code == 200 and "已导入 3 件资产" in done.text
    assert await Asset.all().count() == 7


async def test_setup_adds_a_class_and_appoints_an_officer_and_is_refused_to_card_staff(client, assets_world):
    csrf = await console_admin(client, "staff", STAFF)
    assert (await client.get("/console/assets/setup/categories")).status_code == 403

    csrf = await console_admin(client, "setup", SETUP)
    assert (await client.get("/console/assets/setup/categories")).status_code == 200
    added = await client.post(
        "/console/assets/setup/categories",
        data={
            "csrf_token": csrf,
            "parent_id": str(assets_world.categories["A0201"].id),
            "code": "A020102",
            "name": "服务器",
            "useful_life_months": "96",
        },
    )
    assert added.status_code == 302 and await AssetCategory.exists(code="A020102")
    taken = await client.post(
        "/console/assets/setup/categories",
        data={"csrf_token": csrf, "code": "A02", "name": "设备", "useful_life_months": "0"},
    )
    assert taken.status_code == 422 and "已被使用" in taken.text

    appointed = await client.post(
        "/console/assets/setup/officers", data={"csrf_token": csrf, "employee_no": "D0005", "unit_code": "SJGSW"}
    )
    assert appointed.status_code == 302
    assert await AssetOfficer.exists(person_id=assets_world.people["D0005"], is_active=True)
    listed = await client.get("/console/assets/setup/officers")
    assert "陈静" in listed.text


async def test_the_admin_api_lists_registers_and_imports_within_the_admins_scope(client, assets_world):
    w = assets_world
    token = await admin_token(client, "api", STAFF, unit_code="FGW")

    listed = (await client.get("/admin/v1/assets/cards?status=in_use", headers=bearer(token))).json()
    assert {row["name"] for row in listed["items"]} == {"台式计算机", "办公桌"} and listed["total"] == 2

    body = {
        "name": "碎纸机",
        "category_id": w.categories["A020101"].id,
        "unit_id": w.units["CZJ-BGS"],
        "original_value_fen": 90000,
        "purchase_date": "2024-01-01",
    }
    outside = await client.post("/admin/v1/assets/cards", json=body, headers=bearer(token))
    assert outside.status_code == 422 and outside.json()["error"]["code"] == "assets.unit_invalid"
    made = await client.post(
        "/admin/v1/assets/cards", json={**body, "unit_id": w.units["FGW-GHC"]}, headers=bearer(token)
    )
    assert made.status_code == 201 and made.json()["asset_no"].startswith("ZC")

    checked = await client.post(
        "/admin/v1/assets/imports?dry_run=1", files={"file": ("a.xlsx", _xlsx(GOOD))}, headers=bearer(token)
    )
    assert checked.status_code == 422
    assert {p["line"] for p in checked.json()["error"]["details"]["problems"]} == {3, 4}
