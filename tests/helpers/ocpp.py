"""A pile connected to the test app: the simulator's ChargePoint (the `ocpp` package's) over a
real WebSocket with subprotocol ocpp1.6 and HTTP Basic auth.

    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await pile.boot()
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from hardware.ocpp_pile import SimulatedPile, open_connection


def ocpp_url(app: Any) -> str:
    return app.ctx.base_url.replace("http://", "ws://") + "/ocpp"


@contextlib.asynccontextmanager
async def pile_client(
    app: Any, box_id: str, password: str, *, cls: type[SimulatedPile] = SimulatedPile, **kwargs: Any
) -> AsyncIterator[SimulatedPile]:
    """The simulated pile `box_id`, connected and reading until the block ends (not booted)."""
    connection = await open_connection(ocpp_url(app), box_id, password)
    pile = cls(box_id, connection, **kwargs)
    reader = asyncio.create_task(pile.start())
    try:
        yield pile
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        await connection.close()
