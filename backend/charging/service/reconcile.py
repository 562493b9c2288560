"""EV charging's reconciliation checks (run by `houqin reconcile` with every module's own)."""

from __future__ import annotations

from datetime import date
from typing import Any


async def check(conn: Any, day: date) -> list[str]:
    return []
