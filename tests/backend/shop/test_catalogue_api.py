"""The catalogue's admin API (/admin/v1/shop): readers may read, only the shop's staff write,
bad input gets its stable code and a Chinese message, and the answers show phones masked."""

from __future__ import annotations

from backend.shop.models import Cycle, Sku, Supplier
from tests.helpers import admin_token, bearer, jpeg
from tests.helpers.errors import assert_error

VIEWER = ["shop.view_shop"]
STAFF = ["shop.view_shop", "shop.manage_catalogue", "shop.manage_cycle"]


async def test_a_reader_lists_but_may_not_write(client, shop_world):
    token = await admin_token(client, "reader", VIEWER)
    listed = await client.get("/admin/v1/shop/products?q=阿克苏", headers=bearer(token))
    assert listed.status_code == 200
    [row] = listed.json()["items"]
    assert (row["name"], row["sku_count"], row["stock"], row["min_price_fen"]) == ("阿克苏冰糖心苹果", 1, 50, 6800)
    stale = await client.get("/admin/v1/shop/products?category=nonsense&origin_kind=x", headers=bearer(token))
    assert stale.status_code == 200 and stale.json()["total"] == 3
    refused = await client.post(
        f"/admin/v1/shop/skus/{shop_world.tea.id}/stock-in", json={"quantity": 5}, headers=bearer(token)
    )
    assert refused.status_code == 403 and (await Sku.get(id=shop_world.tea.id)).stock == 20
    outsider = await admin_token(client, "outsider", ["fleet.view_fleet"])
    assert (await client.get("/admin/v1/shop/suppliers", headers=bearer(outsider))).status_code == 403


async def test_staff_register_a_supplier_whose_phone_comes_back_masked(client, shop_world):
    token = await admin_token(client, "staff", STAFF)
    body = {"name": "恩施州富硒农业合作社", "region": "湖北恩施", "origin_kind": "partner", "phone": "13972700202"}
    created = await client.post("/admin/v1/shop/suppliers", json=body, headers=bearer(token))
    assert created.status_code == 201 and created.json()["phone"] == "139****0202"
    listed = await client.get("/admin/v1/shop/suppliers", headers=bearer(token))
    assert "13972700202" not in listed.text
    bad = await client.post(
        "/admin/v1/shop/suppliers", json={**body, "name": "另一家", "phone": "12"}, headers=bearer(token)
    )
    assert_error(bad, 422, "shop.phone_invalid")
    stopped = await client.put(
        f"/admin/v1/shop/suppliers/{created.json()['id']}", json={**body, "is_active": False}, headers=bearer(token)
    )
    assert stopped.status_code == 200 and not (await Supplier.get(id=created.json()["id"])).is_active


async def test_staff_make_a_product_with_a_photo_a_sku_and_stock(client, shop_world):
    token = await admin_token(client, "staff", STAFF)
    product = await client.post(
        "/admin/v1/shop/products",
        json={
            "name": "阿克苏薄皮核桃",
            "supplier_id": shop_world.partner.id,
            "category": "dry",
            "origin": "新疆阿克苏地区",
            "origin_kind": "partner",
        },
        headers=bearer(token),
    )
    assert product.status_code == 201, product.text
    product_id = product.json()["id"]
    photo = await client.post(
        f"/admin/v1/shop/products/{product_id}/photo",
        files={"file": ("walnut.jpg", jpeg(), "image/jpeg")},
        headers=bearer(token),
    )
    assert photo.status_code == 200 and photo.json()["has_photo"]
    served = await client.get(f"/admin/v1/shop/products/{product_id}/photo?size=thumb", headers=bearer(token))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert_error(
        await client.post(
            f"/admin/v1/shop/products/{product_id}/skus", json={"spec": "1 kg", "price_fen": 0}, headers=bearer(token)
        ),
        422,
        "shop.price_invalid",
    )
    sku = await client.post(
        f"/admin/v1/shop/products/{product_id}/skus",
        json={"spec": "1 kg", "price_fen": 4500, "per_person_limit": 5},
        headers=bearer(token),
    )
    assert sku.status_code == 201
    sku_id = sku.json()["id"]
    stocked = await client.post(
        f"/admin/v1/shop/skus/{sku_id}/stock-in",
        json={"quantity": 80, "note": "首批"},
        headers=bearer(token) | {"Idempotency-Key": "stock-in-0001"},
    )
    assert stocked.json()["stock"] == 80
    below = await client.post(
        f"/admin/v1/shop/skus/{sku_id}/adjustments",
        json={"delta": -81, "note": "盘亏"},
        headers=bearer(token) | {"Idempotency-Key": "adjust-0001"},
    )
    assert_error(below, 409, "shop.stock_below_zero")
    no_reason = await client.post(
        f"/admin/v1/shop/skus/{sku_id}/adjustments",
        json={"delta": -1},
        headers=bearer(token) | {"Idempotency-Key": "adjust-0002"},
    )
    assert_error(no_reason, 422, "common.invalid_input")
    moves = await client.get(f"/admin/v1/shop/skus/{sku_id}/moves", headers=bearer(token))
    assert [(m["delta"], m["reason_label"]) for m in moves.json()["items"]] == [(80, "入库")]
    detail = await client.get(f"/admin/v1/shop/products/{product_id}", headers=bearer(token))
    assert [(s["spec"], s["stock"]) for s in detail.json()["skus"]] == [("1 kg", 80)]


async def test_a_week_typed_without_a_zone_is_beijing_time_and_is_cloned(client, shop_world):
    token = await admin_token(client, "staff", STAFF)
    week = {
        "title": "恩施周",
        "opens_at": "2031-03-03T08:00",
        "closes_at": "2031-03-07T20:00",
        "pickup_days": ["2031-03-08"],
        "pickup_place": "行政中心一号食堂入口",
    }
    created = await client.post("/admin/v1/shop/cycles", json=week, headers=bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["opens_at"] == "2031-03-03T08:00:00+08:00"
    cycle_id = created.json()["id"]
    reversed_window = {**week, "closes_at": "2031-03-02T08:00"}
    assert_error(
        await client.put(f"/admin/v1/shop/cycles/{cycle_id}", json=reversed_window, headers=bearer(token)),
        422,
        "shop.cycle_window_invalid",
    )
    item = await client.post(
        f"/admin/v1/shop/cycles/{cycle_id}/items",
        json={"sku_id": shop_world.apple.id, "featured": True, "position": 1},
        headers=bearer(token),
    )
    assert item.status_code == 201 and item.json()["product_name"] == "阿克苏冰糖心苹果"
    cloned = await client.post(f"/admin/v1/shop/cycles/{cycle_id}/clone", headers=bearer(token))
    assert cloned.status_code == 201 and cloned.json()["opens_at"] == "2031-03-10T08:00:00+08:00"
    assert_error(
        await client.post(f"/admin/v1/shop/cycles/{cycle_id}/clone", headers=bearer(token)), 409, "shop.cycle_overlap"
    )
    detail = await client.get(f"/admin/v1/shop/cycles/{cloned.json()['id']}", headers=bearer(token))
    assert [i["sku_id"] for i in detail.json()["items"]] == [shop_world.apple.id]
    removed = await client.delete(f"/admin/v1/shop/cycles/{cycle_id}/items/{item.json()['id']}", headers=bearer(token))
    assert removed.status_code == 200 and await Cycle.filter(title="恩施周").count() == 2
