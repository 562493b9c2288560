"""Scheduled job of the notices module: sending the notices that are due. Running it twice has
the effect of once (a notice is claimed before it is sent)."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.notices import service
from backend.runtime import make_mini_program


@broker.task(task_name="notices.send_due", schedule=[{"cron": "* * * * *"}])
async def send_due() -> dict:
    """Each minute: the WeChat notices that are due, every module's (retried with a growing
    pause). It was repairs.send_notices when only repairs sent notices."""
    settings: Settings = broker.state.settings
    wechat = make_mini_program(settings)
    try:
        return await service.send_due(wechat, service.template_ids(settings), now())
    finally:
        wechat.close()
