"""The catalogue and theme weeks in the console: every page renders for whoever may see the shop
and is refused to anyone else, forms write through the services (audited) and say what is
wrong at the field, phones are shown masked, and the exports open."""

from __future__ import annotations

import io

import openpyxl
import pytest

from backend.core.models import AuditEntry
from backend.shop.models import Cycle, CycleItem, Product, Sku, StockMove, Supplier
from tests.helpers import console_admin, jpeg

VIEWER = ["shop.view_shop"]
STAFF = ["shop.view_shop", "shop.manage_catalogue", "shop.manage_cycle"]


def _pages(world) -> tuple[str, ...]:
    return (
        "/console/shop/products",
        "/console/shop/products/export.xlsx",
        f"/console/shop/products/{world.apple.product_id}",
        f"/console/shop/skus/{world.apple.id}",
        f"/console/shop/skus/{world.apple.id}/moves.xlsx",
        "/console/shop/suppliers",
        "/console/shop/cycles",
        f"/console/shop/cycles/{world.cycle.id}",
    )


async def test_every_page_renders_for_a_viewer_and_is_refused_without_the_permission(client, shop_world):
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in _pages(shop_world):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", VIEWER)
    for path in _pages(shop_world):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        if path.endswith(".xlsx"):
            assert openpyxl.load_workbook(io.BytesIO(answer.content)).active.max_row >= 2
        else:
            assert 'action="/console/shop/' not in answer.text, path  # a viewer gets no forms
    assert (await client.get("/console/shop/products/new")).status_code == 403
    assert (await client.get("/console/shop/cycles/new")).status_code == 403


async def test_a_viewer_may_not_write(client, shop_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    posted = await client.post(
        f"/console/shop/skus/{shop_world.tea.id}/stock-in",
        data={"csrf_token": csrf, "quantity": "5", "key": "stock-form-0002"},
    )
    assert posted.status_code == 403 and (await Sku.get(id=shop_world.tea.id)).stock == 20


async def test_staff_register_a_product_add_a_sku_in_yuan_and_stock_it(client, shop_world):
    csrf = await console_admin(client, "staff", STAFF)
    created = await client.post(
        "/console/shop/products",
        data={
            "csrf_token": csrf,
            "name": "阿克苏骏枣",
            "supplier_id": str(shop_world.partner.id),
            "category": "dry",
            "origin": "新疆阿克苏地区",
            "origin_kind": "partner",
            "is_active": "on",
        },
    )
    assert created.status_code == 302 and created.headers["location"].endswith("?done=product_created")
    product = await Product.get(name="阿克苏骏枣")
    photo = await client.post(
        f"/console/shop/products/{product.id}/photo",
        data={"csrf_token": csrf},
        files={"file": ("dates.jpg", jpeg(), "image/jpeg")},
    )
    assert photo.status_code == 302 and (await Product.get(id=product.id)).photo_key
    not_image = await client.post(
        f"/console/shop/products/{product.id}/photo",
        data={"csrf_token": csrf},
        files={"file": ("dates.jpg", b"not a photo", "image/jpeg")},
    )
    assert not_image.status_code == 422 and "不是图片" in not_image.text
    sku = await client.post(
        f"/console/shop/products/{product.id}/skus",
        data={"csrf_token": csrf, "spec": "1 kg", "price_fen": "39.9", "per_person_limit": "0", "on_shelf": "on"},
    )
    assert sku.status_code == 302
    made = await Sku.get(product_id=product.id)
    assert (made.price_fen, made.on_shelf) == (3990, True)
    stocked = await client.post(
        f"/console/shop/skus/{made.id}/stock-in",
        data={"csrf_token": csrf, "quantity": "60", "note": "首批", "key": "stock-form-0001"},
    )
    assert stocked.status_code == 302
    page = await client.get(stocked.headers["location"])
    assert "已入库" in page.text and "库存 60" in page.text and "首批" in page.text
    assert await AuditEntry.exists(action="shop.stock_in", object_id=str(made.id))


async def test_forms_say_what_is_wrong_at_the_field(client, shop_world):
    csrf = await console_admin(client, "staff", STAFF)
    bad_price = await client.post(
        f"/console/shop/products/{shop_world.apple.product_id}/skus",
        data={"csrf_token": csrf, "spec": "小箱", "price_fen": "0"},
    )
    assert bad_price.status_code == 422 and "价格应为大于 0 的金额" in bad_price.text
    below = await client.post(
        f"/console/shop/skus/{shop_world.fish.id}/adjust",
        data={"csrf_token": csrf, "delta": "-11", "note": "破损", "key": "adjust-form-0001"},
    )
    assert below.status_code == 422 and "盘点调整后不能小于 0" in below.text
    assert (await Sku.get(id=shop_world.fish.id)).stock == 10 and await StockMove.filter(
        sku_id=shop_world.fish.id
    ).count() == 1
    bad_week = await client.post(
        "/console/shop/cycles",
        data={
            "csrf_token": csrf,
            "title": "下周",
            "opens_at": "2031-03-03T08:00",
            "closes_at": "2031-03-02T08:00",
            "pickup_days": "2031-03-08",
            "pickup_place": "一号食堂",
        },
    )
    assert bad_week.status_code == 422 and "截单时间应晚于开始下单时间" in bad_week.text
    assert "shop.cycle_window_invalid" not in bad_week.text


async def test_a_supplier_is_saved_with_its_phone_masked_and_kept_when_left_blank(client, shop_world):
    csrf = await console_admin(client, "staff", STAFF)
    form = {"csrf_token": csrf, "name": "恩施州富硒农业合作社", "region": "湖北恩施", "origin_kind": "partner"}
    saved = await client.post("/console/shop/suppliers", data={**form, "phone": "13972700202", "is_active": "on"})
    assert saved.status_code == 302
    page = await client.get(saved.headers["location"])
    assert "139****0202" in page.text and "13972700202" not in page.text
    supplier = await Supplier.get(name="恩施州富硒农业合作社")
    edited = await client.post(
        "/console/shop/suppliers", data={**form, "supplier_id": str(supplier.id), "contact_name": "向红梅", "phone": ""}
    )
    assert edited.status_code == 302
    after = await client.get(f"/console/shop/suppliers?supplier={supplier.id}")
    assert "向红梅" in after.text and "139****0202" in after.text and "已停用" in after.text
    taken = await client.post(
        "/console/shop/suppliers", data={**form, "name": shop_world.local.name, "is_active": "on"}
    )
    assert taken.status_code == 422 and "已登记" in taken.text


async def test_staff_set_up_a_week_add_an_item_and_clone_it(client, shop_world):
    csrf = await console_admin(client, "staff", STAFF)
    created = await client.post(
        "/console/shop/cycles",
        data={
            "csrf_token": csrf,
            "title": "恩施周",
            "region": "湖北恩施",
            "opens_at": "2031-03-03T08:00",
            "closes_at": "2031-03-07T20:00",
            "pickup_days": "2031-03-08、2031-03-09",
            "pickup_place": "行政中心一号食堂入口",
        },
    )
    assert created.status_code == 302, created.text
    week = await Cycle.get(title="恩施周")
    assert week.pickup_days == ["2031-03-08", "2031-03-09"]
    added = await client.post(
        f"/console/shop/cycles/{week.id}/items",
        data={
            "csrf_token": csrf,
            "sku_id": str(shop_world.fish.id),
            "position": "1",
            "featured": "on",
            "presale_cutoff": "2031-03-05T12:00",
            "pickup_day": "2031-03-06",
        },
    )
    assert added.status_code == 302
    item = await CycleItem.get(cycle_id=week.id)
    assert item.featured and item.pickup_day.isoformat() == "2031-03-06"
    outside = await client.post(
        f"/console/shop/cycles/{week.id}/items/{item.id}/edit",
        data={"csrf_token": csrf, "position": "1", "presale_cutoff": "2031-03-09T12:00", "pickup_day": "2031-03-10"},
    )
    assert outside.status_code == 422 and "预售截单时间应在本期下单时间之内" in outside.text
    cloned = await client.post(f"/console/shop/cycles/{week.id}/clone", data={"csrf_token": csrf})
    assert cloned.status_code == 302 and cloned.headers["location"].endswith("?done=cloned")
    page = await client.get(cloned.headers["location"])
    assert "已复制为下一周" in page.text and "2031-03-15" in page.text
    again = await client.post(f"/console/shop/cycles/{week.id}/clone", data={"csrf_token": csrf})
    assert again.status_code == 409 and "不能复制为下一周" in again.text
    removed = await client.post(f"/console/shop/cycles/{week.id}/items/{item.id}/delete", data={"csrf_token": csrf})
    assert removed.status_code == 302 and not await CycleItem.exists(id=item.id)


@pytest.mark.parametrize(
    "path", ["/console/shop/products?category=nonsense&supplier=x", "/console/shop/cycles?q=阿克苏"]
)
async def test_a_stale_or_odd_link_still_opens(client, shop_world, path):
    await console_admin(client, "viewer", VIEWER)
    assert (await client.get(path)).status_code == 200
