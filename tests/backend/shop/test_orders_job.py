"""The unpaid time-out runs every minute as a scheduled job and cancels what is due, once."""

from datetime import timedelta

from taskiq.schedule_sources import LabelScheduleSource

from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.shop.jobs import expire_unpaid
from backend.shop.models import Order, OrderState, Sku
from tests.fixtures.shop import make_order


async def test_the_unpaid_time_out_is_scheduled_every_minute(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    crons = {s.task_name: s.cron for s in await source.get_schedules()}
    assert crons["shop.expire_unpaid"] == "* * * * *"


async def test_the_job_cancels_an_order_past_its_time_once(shop_world):
    w = shop_world
    due = await make_order(w, [(w.tea, 2)], created_at=now() - timedelta(minutes=16))
    assert await expire_unpaid() == 1
    assert await expire_unpaid() == 0
    assert (await Order.get(id=due.id)).state == OrderState.CANCELLED
    assert (await Sku.get(id=w.tea.id)).stock == 20
