"""What the shop's pickup tests share: a canteen with terminals to scan at (without seeding the
roster again, which the shop world already did), signed terminal requests to the pickup API, a
kiosk agent with a simulated scanner at such a terminal, and a ready order; and orders for the
audit walk (tests/backend/test_audit_coverage.py), which runs on the demo data rather than the
shop world."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path

from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import now, today
from backend.shop.models import Category, Cycle, Order, OrderLine, OrderState, OriginKind, Product, Sku, Supplier
from kiosk.agent import Agent, Devices
from tests.fixtures.canteen import Terminal, make_terminal
from tests.fixtures.kiosk import eventually, kiosk_config
from tests.fixtures.shop import ShopWorld, make_order
from tests.helpers import json_body

LOOKUP = "/device/v1/shop/pickups/lookup"
CONFIRM = "/device/v1/shop/pickups/confirm"


async def pickup_terminals(cipher, *codes: str) -> list[Terminal]:
    """Terminals of 第一食堂 (created here), named "<code> 号机"."""
    await canteens.create_canteen(CLI_ACTOR, "ST1", "第一食堂", scope=Scope.EVERYTHING)
    return [await make_terminal(cipher, code) for code in codes]


@contextlib.asynccontextmanager
async def pickup_agent(backend_url: str, cipher, code: str, data_dir: Path):
    """A kiosk agent with a simulated scanner at a new pickup terminal `code`, once it is online
    and has the risk settings (before that a scan would not reach the backend)."""
    (terminal,) = await pickup_terminals(cipher, code)
    config = kiosk_config(backend_url, terminal.code, terminal.secret, data_dir, scanner="sim")
    running = Agent(config, Devices.from_config(config))
    await running.start()
    try:
        await eventually(lambda: running.link.online and running.link.risk, what="the agent online")
        yield running
    finally:
        await running.stop()


async def signed_post(client, terminal: Terminal, path: str, payload: dict):
    body = json_body(payload)
    return await client.post(path, content=body, headers=terminal.headers(path, body))


async def ready_order(world: ShopWorld, lines=None, **kwargs) -> Order:
    """A paid order whose goods arrived (待取货)."""
    order = await make_order(world, lines or [(world.apple, 1), (world.tea, 2)], state=OrderState.READY, **kwargs)
    await Order.filter(id=order.id).update(ready_at=now(), paid_fen=order.total_fen)
    return await Order.get(id=order.id)


async def audit_order(person_id: int, state: OrderState) -> Order:
    """An order of one line in `state`, in a closed theme week of its own picked up today, with
    nothing in stock and nothing paid behind it (so the books have nothing to disagree with)."""
    tag = secrets.token_hex(4)
    supplier = await Supplier.create(name=f"审计供货方{tag}", region="杭州市", origin_kind=OriginKind.LOCAL)
    product = await Product.create(
        name="审计苹果", supplier=supplier, category=Category.FRUIT, origin="杭州市", origin_kind=OriginKind.LOCAL
    )
    sku = await Sku.create(product=product, spec="1 kg", price_fen=1000)
    at = now()
    cycle = await Cycle.create(
        title=f"审计周{tag}",
        opens_at=at - timedelta(days=3),
        closes_at=at - timedelta(days=2),
        pickup_days=[today().isoformat()],
        pickup_place="审计取货点",
    )
    order = await Order.create(
        order_no=f"SO{tag.upper()}",
        person_id=person_id,
        cycle=cycle,
        client_ref=tag,
        state=state,
        total_fen=1000,
        pickup_code=f"{secrets.randbelow(10**8):08d}",
        pickup_day=today(),
        pickup_place=cycle.pickup_place,
        created_at=at,
        expires_at=at,
    )
    await OrderLine.create(
        order=order,
        sku=sku,
        supplier=supplier,
        product_name=product.name,
        spec=sku.spec,
        unit_price_fen=1000,
        quantity=1,
        amount_fen=1000,
    )
    return order


async def hand_over_form_for_audit(person: Awaitable[int]) -> dict:
    """The console's 确认交付 form for a fresh order waiting for pickup."""
    order = await audit_order(await person, OrderState.READY)
    return {"order_no": order.order_no, "code": order.pickup_code}


async def arrival_form_for_audit(person: Awaitable[int]) -> dict:
    """The console's 到货 form for the pickup day of a fresh paid order."""
    order = await audit_order(await person, OrderState.PAID)
    return {"cycle_id": order.cycle_id, "pickup_day": order.pickup_day.isoformat()}
