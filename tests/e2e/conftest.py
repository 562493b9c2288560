"""The page tests' browser pages (on the session's Chromium, tests/fixtures/browser.py) and screenshots.

Screenshots go to $SCREENSHOT_DIR (default var/screenshots) for a person to look at."""

import os
from pathlib import Path

import pytest
from playwright.async_api import Error as PlaywrightError

from tests.helpers.browser import watch_problems

VIEWPORT = {"width": 1366, "height": 768}
SCREENSHOT_ATTEMPTS = 3


@pytest.fixture
async def browser_page(chromium, app):
    """A fresh browser context (no cookies) on the test server, in Chinese, failing the test on
    any script error or failed request the page makes."""
    context = await chromium.new_context(
        viewport=VIEWPORT, locale="zh-CN", base_url=app.ctx.base_url, accept_downloads=True
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems = watch_problems(page)
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status}: {response.url}")
            if response.url.split("?")[0].endswith((".js", ".css")) and response.status >= 400
            else None
        ),
    )
    yield page
    await context.close()
    assert problems == []


@pytest.fixture(scope="session")
def screenshot():
    """Saves what the page shows as <name>.png for a person to look at. It waits for the page to
    finish loading first: Chromium refuses to capture a page that is still swapping in the next
    document after a form submit, which made these tests fail now and then."""
    folder = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
    folder.mkdir(parents=True, exist_ok=True)

    async def take(page, name: str, *, full_page: bool = False) -> None:
        for attempt in range(SCREENSHOT_ATTEMPTS):
            await page.wait_for_load_state("load")
            try:
                await page.screenshot(path=folder / f"{name}.png", full_page=full_page)
                return
            except PlaywrightError as error:
                if "Unable to capture screenshot" not in str(error) or attempt == SCREENSHOT_ATTEMPTS - 1:
                    raise
                await page.wait_for_timeout(200)

    return take
