"""The shop's catalogue: suppliers with their phone kept encrypted and shown masked, products and
their photos made safe, SKUs with checked prices and limits, and stock that moves only with its
ledger row and never below zero."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image
from tortoise.functions import Sum

from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.shop.models import Category, OriginKind, Product, Sku, StockMove, StockReason, Supplier
from backend.shop.service import catalogue
from backend.shop.service.catalogue import ProductDetails, SupplierDetails
from tests.helpers import jpeg


def _supplier(**changes) -> SupplierDetails:
    values = {
        "name": "千岛湖生态渔业合作社",
        "region": "杭州市淳安县",
        "origin_kind": OriginKind.LOCAL,
        "contact_name": "方志强",
        "phone": "13857100404",
    }
    return SupplierDetails(**{**values, **changes})


def _product(supplier_id: int, **changes) -> ProductDetails:
    values = {
        "name": "千岛湖有机鱼",
        "supplier_id": supplier_id,
        "category": Category.AQUATIC,
        "origin": "杭州市淳安县",
        "origin_kind": OriginKind.LOCAL,
    }
    return ProductDetails(**{**values, **changes})


async def _refused(code: str, call) -> AppError:
    with pytest.raises(AppError) as refused:
        await call
    assert refused.value.code == code
    return refused.value


async def _stock_of_moves(sku_id: int) -> int:
    row = await StockMove.filter(sku_id=sku_id).annotate(total=Sum("delta")).first().values("total")
    return row["total"] or 0


# ---- suppliers ---------------------------------------------------------------------------------


async def test_a_suppliers_phone_is_stored_encrypted_and_shown_masked(shop_world, runtime):
    created = await catalogue.create_supplier(CLI_ACTOR, runtime.cipher, _supplier())
    assert created["phone"] == "138****0404"
    stored = await Supplier.get(id=created["id"])
    assert "13857100404" not in stored.phone_encrypted and stored.phone_encrypted.startswith("v1:")
    entry = await AuditEntry.get(action="shop.create_supplier", object_id=str(created["id"]))
    assert "13857100404" not in str(entry.after) and entry.after["phone"] == "138****0404"


async def test_a_landline_is_taken_and_a_malformed_phone_is_refused(shop_world, runtime):
    landline = await catalogue.create_supplier(CLI_ACTOR, runtime.cipher, _supplier(phone="0571-88880303"))
    assert landline["phone"] == "057****0303"
    for bad in ("12345", "2385710040a", "138571004041"):
        await _refused(
            "shop.phone_invalid", catalogue.create_supplier(CLI_ACTOR, runtime.cipher, _supplier(name=bad, phone=bad))
        )


async def test_editing_a_supplier_keeps_its_phone_unless_a_new_one_is_given(shop_world, runtime):
    created = await catalogue.create_supplier(CLI_ACTOR, runtime.cipher, _supplier())
    kept = await catalogue.update_supplier(CLI_ACTOR, runtime.cipher, created["id"], _supplier(phone=None, note="冷链"))
    assert kept["phone"] == "138****0404" and kept["note"] == "冷链"
    removed = await catalogue.update_supplier(CLI_ACTOR, runtime.cipher, created["id"], _supplier(phone=""))
    assert removed["phone"] is None and (await Supplier.get(id=created["id"])).phone_encrypted == ""


async def test_a_supplier_name_is_registered_once(shop_world, runtime):
    await _refused(
        "shop.supplier_name_taken",
        catalogue.create_supplier(CLI_ACTOR, runtime.cipher, _supplier(name=shop_world.local.name)),
    )
    await _refused(
        "shop.supplier_name_taken",
        catalogue.update_supplier(
            CLI_ACTOR, runtime.cipher, shop_world.local.id, _supplier(name=shop_world.partner.name)
        ),
    )


async def test_a_stopped_supplier_gets_no_new_product_but_its_products_can_be_corrected(shop_world, runtime):
    details = _supplier(name=shop_world.local.name, region="杭州市余杭区", phone=None)
    stopped = await catalogue.update_supplier(CLI_ACTOR, runtime.cipher, shop_world.local.id, details, is_active=False)
    assert stopped["is_active"] is False
    await _refused("shop.supplier_inactive", catalogue.create_product(CLI_ACTOR, _product(shop_world.local.id)))
    tea = await Product.get(id=shop_world.tea.product_id)
    corrected = await catalogue.update_product(
        CLI_ACTOR, tea.id, _product(shop_world.local.id, name="径山茶（明前）", category=Category.DRY)
    )
    assert corrected["name"] == "径山茶（明前）"
    await _refused("shop.supplier_not_found", catalogue.create_product(CLI_ACTOR, _product(99999)))


# ---- products and photos -----------------------------------------------------------------------


async def test_products_are_found_by_a_word_category_supplier_origin_and_state(shop_world):
    async def names(**filters) -> set[str]:
        return {p.name for p in await catalogue.products_query(filters)}

    assert await names(q="阿克苏") == {"阿克苏冰糖心苹果"}
    assert await names(q="淳安") == {"千岛湖鱼干"}  # by its origin
    assert await names(category="dry") == {"径山茶"}
    assert await names(supplier=str(shop_world.local.id)) == {"径山茶", "千岛湖鱼干"}
    assert await names(origin_kind="partner") == {"阿克苏冰糖心苹果"}
    await Product.filter(id=shop_world.tea.product_id).update(is_active=False)
    assert await names(active="0") == {"径山茶"}
    assert len(await names(active="1")) == 2


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (1200, 900), (200, 30, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS position
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at the farm")
    return out.getvalue()


async def test_a_product_photo_is_stored_without_its_metadata_with_a_thumbnail(shop_world, runtime):
    product_id = shop_world.apple.product_id
    upload = _jpeg_with_gps()
    assert Image.open(io.BytesIO(upload)).getexif()
    view = await catalogue.set_product_photo(CLI_ACTOR, runtime.storage, product_id, upload)
    assert view["has_photo"] is True
    stored = await catalogue.product_photo(runtime.storage, product_id, thumbnail=False)
    image = Image.open(io.BytesIO(stored))
    assert image.format == "JPEG" and not image.getexif() and "comment" not in image.info and "exif" not in image.info
    thumbnail = Image.open(io.BytesIO(await catalogue.product_photo(runtime.storage, product_id, thumbnail=True)))
    assert max(thumbnail.size) <= 320
    assert await AuditEntry.exists(action="shop.set_product_photo", object_id=str(product_id))


async def test_a_new_photo_replaces_the_old_file_and_a_non_image_is_refused(shop_world, runtime):
    product_id = shop_world.apple.product_id
    await catalogue.set_product_photo(CLI_ACTOR, runtime.storage, product_id, jpeg())
    first = (await Product.get(id=product_id)).photo_key
    await catalogue.set_product_photo(CLI_ACTOR, runtime.storage, product_id, jpeg(320, 200))
    assert not await runtime.storage.exists(first)
    assert not await runtime.storage.exists(catalogue.thumbnail_key(first))
    await _refused("image.not_image", catalogue.set_product_photo(CLI_ACTOR, runtime.storage, product_id, b"%PDF-1.4"))
    await _refused("shop.no_photo", catalogue.product_photo(runtime.storage, shop_world.tea.product_id, False))


# ---- SKUs and stock ----------------------------------------------------------------------------


async def test_a_sku_needs_a_price_above_zero_a_limit_up_to_999_and_a_spec_of_its_own(shop_world):
    product_id = shop_world.apple.product_id
    for price in (0, -100, catalogue.MOST_PRICE_FEN + 1):
        await _refused("shop.price_invalid", catalogue.create_sku(CLI_ACTOR, product_id, "一箱 8 kg", price))
    for limit in (-1, 1000):
        await _refused("shop.limit_invalid", catalogue.create_sku(CLI_ACTOR, product_id, "一箱 8 kg", 9800, limit))
    await _refused("shop.sku_spec_taken", catalogue.create_sku(CLI_ACTOR, product_id, " 一箱 5 kg ", 9800))
    await _refused("shop.product_not_found", catalogue.create_sku(CLI_ACTOR, 99999, "一箱 8 kg", 9800))
    created = await catalogue.create_sku(CLI_ACTOR, product_id, "一箱 8 kg", 9800, 3)
    assert (created["stock"], created["per_person_limit"], created["on_shelf"]) == (0, 3, True)


async def test_changing_a_sku_keeps_its_stock_and_is_audited(shop_world):
    sku = shop_world.apple
    changed = await catalogue.update_sku(CLI_ACTOR, sku.id, "一箱 5 kg", 7200, 3, on_shelf=False)
    assert (changed["price_fen"], changed["on_shelf"], changed["stock"]) == (7200, False, 50)
    assert (await Sku.get(id=sku.id)).stock == 50
    entry = await AuditEntry.get(action="shop.update_sku", object_id=str(sku.id))
    assert (entry.before["price_fen"], entry.after["price_fen"]) == (6800, 7200)
    other = await catalogue.create_sku(CLI_ACTOR, sku.product_id, "小箱 2 kg", 3000)
    await _refused("shop.sku_spec_taken", catalogue.update_sku(CLI_ACTOR, other["id"], "一箱 5 kg", 3000, 0, True))
    await _refused("shop.price_invalid", catalogue.update_sku(CLI_ACTOR, other["id"], "小箱 2 kg", 0, 0, True))


async def test_stock_in_adds_with_its_ledger_row_and_refuses_a_quantity_not_above_zero(shop_world):
    sku = shop_world.tea
    for quantity in (0, -5, catalogue.MOST_QUANTITY + 1):
        await _refused("shop.stock_invalid", catalogue.stock_in(CLI_ACTOR, sku.id, quantity, "", now()))
    after = await catalogue.stock_in(CLI_ACTOR, sku.id, 30, "送货单 A-0012", now())
    assert after["stock"] == 50 == (await Sku.get(id=sku.id)).stock == await _stock_of_moves(sku.id)
    move = await StockMove.filter(sku_id=sku.id).order_by("-id").first()
    assert (move.delta, move.reason, move.note, move.actor) == (30, StockReason.STOCK_IN, "送货单 A-0012", "命令行")
    entry = await AuditEntry.get(action="shop.stock_in", object_id=str(sku.id))
    assert (entry.before["stock"], entry.after["stock"], entry.after["delta"]) == (20, 50, 30)


async def test_a_stock_form_sent_twice_or_at_once_moves_the_stock_once(shop_world):
    tea = shop_world.tea
    first = await catalogue.stock_in(CLI_ACTOR, tea.id, 5, "送货单 A1", now(), "stock-key-0001")
    again = await catalogue.stock_in(CLI_ACTOR, tea.id, 5, "送货单 A1", now(), "stock-key-0001")
    at_once = await asyncio.gather(
        *(catalogue.adjust_stock(CLI_ACTOR, tea.id, -2, "破损", now(), "adjust-key-0001") for _ in range(5))
    )
    assert first["stock"] == again["stock"] == 25
    assert {answer["stock"] for answer in at_once} == {23}
    assert (await Sku.get(id=tea.id)).stock == 23
    assert await StockMove.filter(idempotency_key__in=["stock-key-0001", "adjust-key-0001"]).count() == 2
    assert await AuditEntry.filter(action="shop.stock_in").count() == 1
    with pytest.raises(AppError) as reused:
        await catalogue.stock_in(CLI_ACTOR, tea.id, 7, "另一张", now(), "stock-key-0001")
    assert reused.value.code == "shop.stock_key_used"


async def test_an_adjustment_goes_down_to_zero_but_never_below(shop_world):
    sku = shop_world.fish  # stock 10
    await _refused("shop.adjust_invalid", catalogue.adjust_stock(CLI_ACTOR, sku.id, 0, "盘点", now()))
    refused = await _refused("shop.stock_below_zero", catalogue.adjust_stock(CLI_ACTOR, sku.id, -11, "破损", now()))
    assert "10" in refused.message
    assert (await Sku.get(id=sku.id)).stock == 10 and await StockMove.filter(sku_id=sku.id).count() == 1
    down = await catalogue.adjust_stock(CLI_ACTOR, sku.id, -10, "盘点发现变质", now())
    assert down["stock"] == 0 == await _stock_of_moves(sku.id)
    up = await catalogue.adjust_stock(CLI_ACTOR, sku.id, 2, "盘盈", now())
    assert up["stock"] == 2 == await _stock_of_moves(sku.id)
    assert await AuditEntry.filter(action="shop.adjust_stock", object_id=str(sku.id)).count() == 2
    await _refused("shop.sku_not_found", catalogue.adjust_stock(CLI_ACTOR, 99999, 1, "盘盈", now()))


async def test_the_stock_ledger_of_a_sku_is_filtered_by_reason(shop_world):
    sku = shop_world.tea
    await catalogue.adjust_stock(CLI_ACTOR, sku.id, -1, "样品", now())
    reasons = [m.reason for m in await catalogue.moves_query(sku.id).order_by("id")]
    assert reasons == [StockReason.STOCK_IN, StockReason.ADJUST]
    assert [m.delta for m in await catalogue.moves_query(sku.id, {"reason": "adjust"})] == [-1]


async def test_twenty_takings_of_one_unit_at_once_stop_at_zero(shop_world, requires_postgres):
    """Counted down by twenty clerks at the same moment, a stock of 10 ends at 0, never below,
    and still equals its ledger."""
    sku = shop_world.fish  # stock 10
    results = await asyncio.gather(
        *(catalogue.adjust_stock(Actor(None, f"库管{i}"), sku.id, -1, "盘点破损", now()) for i in range(20)),
        return_exceptions=True,
    )
    taken = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(taken) == 10 and len(refused) == 10
    assert {r.code for r in refused} == {"shop.stock_below_zero"}
    assert (await Sku.get(id=sku.id)).stock == 0 == await _stock_of_moves(sku.id)
