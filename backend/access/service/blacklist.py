"""Stand-in for V's blacklist service (only what P calls; V's file replaces it at merge)."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from backend.access.models import Block, BlockKind


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
