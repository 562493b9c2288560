"""The assets fixture holds together: every card numbered from its id, the 公物仓 item open once."""

from backend.assets.models import Asset, WarehouseEntry
from backend.assets.service import qr


async def test_cards_are_numbered_from_their_ids_and_the_warehouse_item_is_open(assets_world):
    for asset in await Asset.all():
        assert asset.asset_no == qr.asset_number(asset.id)
    entry = await WarehouseEntry.get(open_asset_id=assets_world.assets["table"].id)
    assert entry.left_at is None and entry.held_by_request_id is None
