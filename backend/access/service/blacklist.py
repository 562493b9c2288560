"""Stand-in (helper A) for V's blacklist: add, lift and list with the documented signatures."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Block, BlockKind
from backend.core.audit import Actor, record
from backend.core.timeutil import now


def _view(block: Block) -> dict:
    return {
        "id": block.id,
        "kind": block.kind.value,
        "kind_label": block.kind.label,
        "value_masked": block.value_masked,
        "reason": block.reason,
        "is_active": block.is_active,
        "created_at": block.created_at,
        "lifted_at": block.lifted_at,
    }


async def add(actor: Actor, cipher, kind: BlockKind, raw_value: str, reason: str) -> dict:
    value = raw_value.strip().upper()
    if not value or not reason.strip():
        raise AccessError.TEXT_TOO_LONG.error(field="原因", most=200)
    index = cipher.blind_index(value, context=f"access.{kind.value}")
    async with in_transaction() as conn:
        if await Block.filter(kind=kind, value_index=index).using_db(conn).exists():
            raise AccessError.BLOCK_EXISTS.error(kind=kind.label)
        block = await Block.create(
            kind=kind,
            value_index=index,
            value_masked=value[:3] + "****" + value[-2:],
            reason=reason.strip(),
            created_by_id=actor.admin_id,
            using_db=conn,
        )
        await record(conn, actor, "access.block", "block", block.id)
    return _view(block)


async def lift(actor: Actor, block_id: int) -> None:
    async with in_transaction() as conn:
        block = await Block.filter(id=block_id, is_active=True).using_db(conn).get_or_none()
        if block is None:
            raise AccessError.BLOCK_NOT_FOUND.error()
        block.is_active, block.lifted_at = False, now()
        await block.save(using_db=conn, update_fields=["is_active", "lifted_at"])
        await record(conn, actor, "access.lift_block", "block", block_id)


async def list_blocks(active_only: bool = True) -> list[dict]:
    query = Block.filter(is_active=True) if active_only else Block.all()
    return [_view(b) for b in await query.order_by("-id")]


async def is_blocked(
    conn: Any, *, id_index: str | None = None, phone_index: str | None = None, plate_index: str | None = None
) -> bool:
    wanted = [
        (k, v)
        for k, v in ((BlockKind.ID_NUMBER, id_index), (BlockKind.PHONE, phone_index), (BlockKind.PLATE, plate_index))
        if v
    ]
    if not wanted:
        return False
    return (
        await Block.filter(Q(*[Q(kind=k, value_index=v) for k, v in wanted], join_type="OR"), is_active=True)
        .using_db(conn)
        .exists()
    )
