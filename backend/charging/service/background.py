"""Work an event handler starts but must not wait for: a pile waits for our answer to its
message before it can answer a command we send it, so a command (a remote stop, a power limit)
is sent from a task of its own. The event loop keeps only weak references to tasks, so each is
held here until it ends, and its failure is logged rather than lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

_running: set[asyncio.Task] = set()


def _finished(task: asyncio.Task) -> None:
    _running.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("charging background task failed", exc_info=error)


def spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(coro)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


async def drain() -> None:
    """Wait for every task started so far (the tests do, before the next test empties the tables)."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)
