"""Imported by the job worker and the scheduler (`houqin worker`, `houqin scheduler`): every module's
jobs registered with the broker, and the database opened in a separate worker process.

A separate worker process opens its own database connections at start-up; under the embedded
InMemoryBroker the server process has already done so.
"""

from __future__ import annotations

from taskiq import TaskiqEvents, TaskiqState

from backend.core.config import Settings
from backend.core.db import close_db, init_db
from backend.core.jobs import broker, runs_in_process
from backend.core.modules import resolve
from backend.core.web.observability import configure_logging
from backend.modules import model_modules, modules

JOB_MODULES = tuple(resolve(m.jobs) for m in modules() if m.jobs)


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _worker_startup(state: TaskiqState) -> None:
    if runs_in_process(broker):
        return
    state.settings = Settings.from_env()
    configure_logging(state.settings.log_level, state.settings.log_format)
    await init_db(state.settings, model_modules())


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _worker_shutdown(state: TaskiqState) -> None:
    if not runs_in_process(broker):
        await close_db()
