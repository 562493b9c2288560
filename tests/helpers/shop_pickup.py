"""What the shop's pickup tests share: a canteen with terminals to scan at (without seeding the
roster again, which the shop world already did), signed terminal requests to the pickup API, and
a ready order."""

from __future__ import annotations

from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.shop.models import Order, OrderState
from tests.fixtures.canteen import Terminal, make_terminal
from tests.fixtures.shop import ShopWorld, make_order
from tests.helpers import json_body

LOOKUP = "/device/v1/shop/pickups/lookup"
CONFIRM = "/device/v1/shop/pickups/confirm"


async def pickup_terminals(cipher, *codes: str) -> list[Terminal]:
    """Terminals of 第一食堂 (created here), named "<code> 号机"."""
    await canteens.create_canteen(CLI_ACTOR, "ST1", "第一食堂", scope=Scope.EVERYTHING)
    return [await make_terminal(cipher, code) for code in codes]


async def signed_post(client, terminal: Terminal, path: str, payload: dict):
    body = json_body(payload)
    return await client.post(path, content=body, headers=terminal.headers(path, body))


async def ready_order(world: ShopWorld, lines=None, **kwargs) -> Order:
    """A paid order whose goods arrived (待取货)."""
    order = await make_order(world, lines or [(world.apple, 1), (world.tea, 2)], state=OrderState.READY, **kwargs)
    await Order.filter(id=order.id).update(ready_at=now(), paid_fen=order.total_fen)
    return await Order.get(id=order.id)
