"""Raising a compliance flag (督查问题) once: every check names its finding by a dedupe key, so a
check run again, or two runs at once, leave one flag."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.fleet.models import ComplianceFlag, FlagKind


async def raise_flag(
    conn: Any,
    kind: FlagKind,
    dedupe_key: str,
    detail: str,
    observed_at: datetime,
    vehicle_id: int | None = None,
    trip_id: int | None = None,
) -> bool:
    """Whether the flag is new. A concurrent run that wrote the same key between the read and
    the insert is not an error: the insert skips an existing key."""
    before = await ComplianceFlag.filter(dedupe_key=dedupe_key).using_db(conn).exists()
    if before:
        return False
    await ComplianceFlag.bulk_create(
        [
            ComplianceFlag(
                kind=kind,
                dedupe_key=dedupe_key,
                detail=detail[:300],
                observed_at=observed_at,
                vehicle_id=vehicle_id,
                trip_id=trip_id,
            )
        ],
        ignore_conflicts=True,
        using_db=conn,
    )
    return True
