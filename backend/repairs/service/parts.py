"""The repair team's small spare-parts stock (备品备件): items, stock-in, use against a repair
(随手录) and the low-stock alert. A quantity only changes through a movement, and a use is one
conditional update, so two technicians can never take the last item twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.repairs.errors import RepairsError
from backend.repairs.models import PartMovement, SparePart


def part_view(part: SparePart) -> dict:
    return {
        "id": part.id,
        "code": part.code,
        "name": part.name,
        "unit": part.unit,
        "quantity": part.quantity,
        "low_stock": part.low_stock,
        "is_low": part.quantity <= part.low_stock,
    }


async def list_parts() -> list[dict]:
    return [part_view(p) for p in await SparePart.all().order_by("code")]


async def low_stock() -> list[dict]:
    return [part_view(p) for p in await SparePart.filter(quantity__lte=F("low_stock")).order_by("code")]


async def create_part(actor: Actor, code: str, name: str, unit: str, low_stock_at: int) -> dict:
    async with in_transaction() as conn:
        if await SparePart.filter(code=code).using_db(conn).exists():
            raise RepairsError.PART_CODE_TAKEN.error()
        part = await SparePart.create(code=code, name=name, unit=unit, low_stock=low_stock_at, using_db=conn)
        await record(conn, actor, "repairs.create_part", "spare_part", part.id, after=part_view(part))
    return part_view(part)


async def stock_in(actor: Actor, part_id: int, quantity: int, note: str, at: datetime) -> dict:
    """Receive `quantity` more of a part (入库)."""
    async with in_transaction() as conn:
        part = await SparePart.get_or_none(id=part_id).using_db(conn)
        if part is None:
            raise RepairsError.PART_NOT_FOUND.error()
        await SparePart.filter(id=part_id).using_db(conn).update(quantity=F("quantity") + quantity)
        await PartMovement.create(
            part_id=part_id, delta=quantity, actor_name=actor.name, note=note, at=at, using_db=conn
        )
        after = part_view(await SparePart.get(id=part_id).using_db(conn))
        await record(conn, actor, "repairs.stock_in", "spare_part", part_id, part_view(part), after)
    return after


async def use(conn: Any, report_id: int, used: list[tuple[int, int]], actor_name: str, at: datetime) -> None:
    """Take parts from stock for a repair, inside the caller's transaction; a part short of stock
    refuses the whole step."""
    for part_id, quantity in sorted(used):  # one order of row updates: no deadlock between two repairs
        taken = (
            await SparePart.filter(id=part_id, quantity__gte=quantity)
            .using_db(conn)
            .update(quantity=F("quantity") - quantity)
        )
        if not taken:
            part = await SparePart.get_or_none(id=part_id).using_db(conn)
            if part is None:
                raise RepairsError.PART_NOT_FOUND.error()
            raise RepairsError.PART_SHORT.error(name=part.name, quantity=part.quantity, unit=part.unit)
        await PartMovement.create(
            part_id=part_id,
            delta=-quantity,
            report_id=report_id,
            actor_name=actor_name,
            note="维修领用",
            at=at,
            using_db=conn,
        )


async def used_on(report_id: int) -> list[dict]:
    movements = await PartMovement.filter(report_id=report_id).select_related("part").order_by("id")
    return [{"part": m.part.name, "code": m.part.code, "quantity": -m.delta, "unit": m.part.unit} for m in movements]


async def movements(part_id: int, limit: int = 50) -> list[dict]:
    rows = await PartMovement.filter(part_id=part_id).order_by("-id").limit(limit)
    return [
        {"at": m.at.isoformat(), "delta": m.delta, "report_id": m.report_id, "actor": m.actor_name, "note": m.note}
        for m in rows
    ]
