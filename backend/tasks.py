"""Every job module, imported by the job worker and the scheduler (and by the embedded server).

A separate worker process opens its own database connections at start-up; under the embedded
InMemoryBroker the server process has already done so.
"""

from __future__ import annotations

from taskiq import TaskiqEvents, TaskiqState

from backend.accounts import tasks as accounts_tasks
from backend.core.config import Settings
from backend.core.db import close_db, init_db
from backend.core.jobs import broker, runs_in_process
from backend.core.web.observability import configure_logging
from backend.repairs import tasks as repairs_tasks
from backend.wallet import tasks as wallet_tasks

JOB_MODULES = (accounts_tasks, wallet_tasks, repairs_tasks)


@broker.on_event(TaskiqEvents.WORKER_STARTUP)
async def _worker_startup(state: TaskiqState) -> None:
    if runs_in_process(broker):
        return
    state.settings = Settings.from_env()
    configure_logging(state.settings.log_level, state.settings.log_format)
    await init_db(state.settings)


@broker.on_event(TaskiqEvents.WORKER_SHUTDOWN)
async def _worker_shutdown(state: TaskiqState) -> None:
    if not runs_in_process(broker):
        await close_db()
