"""The blacklist of visitors (by ID number or phone) and plates: kept by blind index with a
masked copy for display, checked when a visit is invited, asked for, completed or registered (and
by the gate), and adding an entry revokes the visits already granted to whoever it names."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Block, BlockKind
from backend.access.service import personal, visits
from backend.core import audit
from backend.core.audit import Actor
from backend.core.crypto import FieldCipher, mask_id_card, mask_phone
from backend.core.timeutil import now

REASON_MAX = 200

_CHECK = {
    BlockKind.ID_NUMBER: (personal.check_id_number, personal.ID_NUMBER, mask_id_card),
    BlockKind.PHONE: (personal.check_phone, personal.PHONE, mask_phone),
    BlockKind.PLATE: (personal.check_plate, personal.PLATE, personal.mask_plate),
}


def _matching(id_index: str | None, phone_index: str | None, plate_index: str | None) -> Q | None:
    wanted = [
        Q(kind=kind, value_index=index)
        for kind, index in (
            (BlockKind.ID_NUMBER, id_index),
            (BlockKind.PHONE, phone_index),
            (BlockKind.PLATE, plate_index),
        )
        if index
    ]
    if not wanted:
        return None
    return Q(*wanted, join_type=Q.OR)


async def is_blocked(
    conn: Any, *, id_index: str | None = None, phone_index: str | None = None, plate_index: str | None = None
) -> bool:
    matching = _matching(id_index, phone_index, plate_index)
    if matching is None:
        return False
    return await Block.filter(matching, is_active=True).using_db(conn).exists()


async def check(
    conn: Any, *, id_index: str | None = None, phone_index: str | None = None, plate_index: str | None = None
) -> None:
    if await is_blocked(conn, id_index=id_index, phone_index=phone_index, plate_index=plate_index):
        raise AccessError.BLOCKED.error()


def block_view(block: Block) -> dict:
    return {
        "id": block.id,
        "kind": block.kind.value,
        "kind_label": block.kind.label,
        "value": block.value_masked,
        "reason": block.reason,
        "is_active": block.is_active,
        "created_at": block.created_at,
        "lifted_at": block.lifted_at,
    }


def _audited(block: Block) -> dict:
    return {
        "kind": block.kind.value,
        "kind_label": block.kind.label,
        "value": block.value_masked,
        "reason": block.reason,
        "is_active": block.is_active,
    }


async def add(actor: Actor, cipher: FieldCipher, kind: BlockKind, raw_value: str, reason: str) -> dict:
    """Block the value (checked like the visitor's own field), and revoke in the same transaction
    the passes of every visit not yet over that carries it (visits.revoke_for_block: a visitor who
    left while the window is open included). A lifted entry for the same value is put back."""
    kind = BlockKind(kind)
    check_value, context, mask = _CHECK[kind]
    value = check_value(raw_value)
    reason = " ".join((reason or "").split())
    if not reason:
        raise AccessError.REASON_REQUIRED.error()
    if len(reason) > REASON_MAX:
        raise AccessError.TEXT_TOO_LONG.error(field="原因", most=REASON_MAX)
    index = personal.index_of(cipher, value, context)
    at = now()
    async with in_transaction() as conn:
        block = await Block.filter(kind=kind, value_index=index).using_db(conn).select_for_update().first()
        if block is not None and block.is_active:
            raise AccessError.BLOCK_EXISTS.error(kind=kind.label)
        if block is None:
            block = await Block.create(
                kind=kind,
                value_index=index,
                value_masked=mask(value) or "",
                reason=reason,
                created_by_id=actor.admin_id,
                using_db=conn,
            )
        else:
            block.is_active, block.reason, block.lifted_at, block.created_by_id = True, reason, None, actor.admin_id
            await block.save(using_db=conn)
        revoked = await visits.revoke_for_block(conn, kind, index, at)
        await audit.record(
            conn, actor, "access.block", "block", block.id, None, {**_audited(block), "revoked": revoked}
        )
    return {**block_view(block), "revoked_visits": revoked}


async def lift(actor: Actor, block_id: int) -> None:
    async with in_transaction() as conn:
        block = await Block.filter(id=block_id, is_active=True).using_db(conn).select_for_update().first()
        if block is None:
            raise AccessError.BLOCK_NOT_FOUND.error()
        before = _audited(block)
        block.is_active, block.lifted_at = False, now()
        await block.save(using_db=conn, update_fields=["is_active", "lifted_at"])
        await audit.record(conn, actor, "access.lift_block", "block", block.id, before, _audited(block))


async def list_blocks(active_only: bool = True) -> list[dict]:
    query = Block.all() if not active_only else Block.filter(is_active=True)
    return [block_view(block) for block in await query.order_by("-created_at", "-id")]
