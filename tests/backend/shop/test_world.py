"""The shop's test world holds what its fixture promises: stock equal to its ledger."""

from tortoise.functions import Sum

from backend.shop.models import OrderState, Sku, StockMove
from tests.fixtures.shop import make_order


async def test_stock_of_each_sku_equals_the_sum_of_its_moves(shop_world):
    await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)], state=OrderState.PENDING)
    for sku in await Sku.all():
        moved = await StockMove.filter(sku_id=sku.id).annotate(total=Sum("delta")).first().values_list("total", flat=True)
        assert sku.stock == moved
    assert (await Sku.get(id=shop_world.apple.id)).stock == 48
