"""Demo data of EV charging for `make run`."""

from __future__ import annotations

from backend.core.demo import DemoContext


async def seed(demo: DemoContext) -> list[str]:
    return []
