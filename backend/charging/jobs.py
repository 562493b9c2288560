"""Scheduled jobs of EV charging. Each has the effect of once however often it runs."""

from __future__ import annotations

from backend.charging.service import billing
from backend.core.jobs import broker
from backend.core.timeutil import now

# ---- H2 ----


@broker.task(task_name="charging.bill_stopped", schedule=[{"cron": "* * * * *"}])
async def bill_stopped() -> int:
    """Every minute: stopped sessions left without their bill (the database failed right after
    the stop) are billed, each once."""
    return await billing.bill_stopped(now())


# ---- end H2 ----
