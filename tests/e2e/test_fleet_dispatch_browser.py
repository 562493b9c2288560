"""The dispatch desk in a real browser: a dispatcher finds the waiting request in the list,
opens it, dispatches the car and driver the form is pre-filled with, and sees the trip as a bar
on the dispatch board, a day and a week. Pages are saved as screenshots and checked for
horizontal overflow."""

from datetime import timedelta

from backend.core.timeutil import now
from backend.fleet.models import RequestState, Trip
from tests.fixtures.fleet import make_request, make_trip
from tests.helpers import make_admin
from tests.helpers.browser import log_in


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_a_dispatcher_dispatches_a_waiting_request_and_sees_it_on_the_board(
    browser_page, fleet_world, screenshot
):
    tomorrow = now().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=1)
    waiting = await make_request(fleet_world, tomorrow)
    earlier = await make_request(fleet_world, tomorrow - timedelta(hours=2), hours=1.5, state=RequestState.DISPATCHED)
    await make_trip(earlier, fleet_world.minibus, fleet_world.bus_driver)
    await make_admin("dispatcher", ["fleet.view_fleet", "fleet.dispatch_trip"])
    page = browser_page
    await log_in(page, "dispatcher")
    await page.click("nav >> text=用车申请")
    await page.click("text=待派车 1 件")
    await page.wait_for_url("**state=approved")
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-requests", full_page=True)
    await page.click(f"table.data >> text={waiting.id}")
    await page.wait_for_url(f"**/console/fleet/requests/{waiting.id}")
    assert await page.locator("[data-testid=suggestions] tbody tr").count() == 3
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-request", full_page=True)
    await page.click("#dispatch-form button[type=submit]")
    await page.wait_for_url("**done=dispatched")
    assert await page.locator("#trips tbody tr").count() == 1
    await screenshot(page, "fleet-request-dispatched", full_page=True)
    trip = await Trip.get(request_id=waiting.id)
    await page.click("text=在调度看板中查看当天")
    bar = page.locator(f"a.bar[data-trip='{trip.id}']")
    assert await bar.count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-board-day", full_page=True)
    await page.select_option("select[name=view]", "week")
    await page.click(".filters button[type=submit]")
    await page.wait_for_url("**view=week**")
    assert await page.locator(f"a.bar[data-trip='{trip.id}']").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-board-week", full_page=True)
    await page.locator(f"a.bar[data-trip='{trip.id}']").click()
    await page.wait_for_url(f"**/console/fleet/requests/{waiting.id}")
