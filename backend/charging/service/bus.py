"""The command bus: commands to a pile whose connection any worker holds."""

from __future__ import annotations

import asyncio

from backend.runtime import Runtime


async def serve(runtime: Runtime) -> None:
    await asyncio.Event().wait()
