"""The cadre's shop in the mini-program: the home shows this week's theme and its featured
products (or the next week between two), the catalogue lists this week's products on sale by
category or word, a product shows its SKUs with price, what is left and the limit, and photos
are served to signed-in cadres only."""

from __future__ import annotations

from datetime import timedelta

from backend.core.audit import CLI_ACTOR
from backend.shop.models import Cycle, Product, Sku
from backend.shop.service import catalogue, cycles
from tests.helpers import bearer, jpeg
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


async def test_the_home_shows_this_weeks_theme_and_its_featured_products(client, wechat, shop_world, runtime):
    await cycles.set_banner(CLI_ACTOR, runtime.storage, shop_world.cycle.id, jpeg(1200, 400))
    following = await cycles.clone_next(CLI_ACTOR, shop_world.cycle.id)
    token = await bound_token(client, wechat)
    home = (await client.get("/mp/v1/shop/home", headers=bearer(token))).json()
    assert home["current"]["title"] == "阿克苏周" and home["current"]["pickup_place"] == "行政中心一号食堂入口"
    assert home["current"]["banner_url"] == f"/mp/v1/shop/cycles/{shop_world.cycle.id}/banner"
    assert [p["name"] for p in home["featured"]] == ["阿克苏冰糖心苹果"]
    assert {"price_fen": 6800, "stock": 50, "per_person_limit": 2}.items() <= home["featured"][0]["skus"][0].items()
    assert home["next"]["id"] == following["id"]
    banner = await client.get(home["current"]["banner_url"], headers=bearer(token))
    assert banner.status_code == 200 and banner.headers["content-type"] == "image/jpeg"
    assert (await client.get(home["current"]["banner_url"])).status_code == 401


async def test_between_two_weeks_the_home_shows_what_is_next_and_the_shelf_is_empty(client, wechat, shop_world):
    week = shop_world.cycle
    await Cycle.filter(id=week.id).update(
        opens_at=week.opens_at + timedelta(days=1), closes_at=week.closes_at + timedelta(days=1)
    )
    token = await bound_token(client, wechat)
    home = (await client.get("/mp/v1/shop/home", headers=bearer(token))).json()
    assert home["current"] is None and home["featured"] == [] and home["next"]["title"] == "阿克苏周"
    shelf = (await client.get("/mp/v1/shop/products", headers=bearer(token))).json()
    assert shelf == {"cycle_id": None, "items": []}


async def test_the_shelf_lists_this_weeks_products_on_sale_by_category_and_word(client, wechat, shop_world):
    token = await bound_token(client, wechat)

    async def names(query: str = "") -> list[str]:
        answer = await client.get(f"/mp/v1/shop/products{query}", headers=bearer(token))
        return [p["name"] for p in answer.json()["items"]]

    assert await names() == ["阿克苏冰糖心苹果", "径山茶", "千岛湖鱼干"]  # featured first, then by position
    assert await names("?category=aquatic") == ["千岛湖鱼干"]
    assert await names("?category=nonsense") == []
    assert await names("?q=阿克苏") == ["阿克苏冰糖心苹果"]
    await Sku.filter(id=shop_world.tea.id).update(on_shelf=False)
    await Product.filter(id=shop_world.fish.product_id).update(is_active=False)
    assert await names() == ["阿克苏冰糖心苹果"]


async def test_a_product_shows_its_skus_in_this_week_with_the_presale_batch(client, wechat, shop_world, runtime):
    await catalogue.set_product_photo(CLI_ACTOR, runtime.storage, shop_world.fish.product_id, jpeg())
    token = await bound_token(client, wechat)
    answer = await client.get(f"/mp/v1/shop/products/{shop_world.fish.product_id}", headers=bearer(token))
    product = answer.json()
    assert (product["name"], product["origin_kind_label"], product["supplier_name"]) == (
        "千岛湖鱼干",
        "本地",
        "余杭径山茶农合作社",
    )
    [sku] = product["skus"]
    assert (sku["sku_id"], sku["price_fen"], sku["stock"], sku["sold_out"]) == (shop_world.fish.id, 4500, 10, False)
    assert sku["presale_cutoff"] is not None and sku["pickup_day"] == shop_world.cycle.pickup_days[0]
    photo = await client.get(product["thumbnail_url"], headers=bearer(token))
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"


async def test_a_product_not_in_this_week_shows_no_sku_and_one_off_sale_is_not_found(client, wechat, shop_world):
    other = await catalogue.create_product(
        CLI_ACTOR,
        catalogue.ProductDetails("阿克苏骏枣", shop_world.partner.id, "dry", "新疆阿克苏地区", "partner"),
    )
    token = await bound_token(client, wechat)
    shown = await client.get(f"/mp/v1/shop/products/{other['id']}", headers=bearer(token))
    assert shown.status_code == 200 and shown.json()["skus"] == []
    await Product.filter(id=other["id"]).update(is_active=False)
    assert_error(
        await client.get(f"/mp/v1/shop/products/{other['id']}", headers=bearer(token)), 404, "shop.product_not_found"
    )
    assert_error(
        await client.get(f"/mp/v1/shop/products/{other['id']}/photo", headers=bearer(token)), 404, "shop.no_photo"
    )
