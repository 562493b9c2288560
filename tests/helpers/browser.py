"""Steps in the browser that several page tests take."""

import contextlib

from tests.helpers import PASSWORD

KIOSK_SCREEN = {"width": 1280, "height": 800}


async def log_in(page, username: str, password: str = PASSWORD, lands_on: str = "**/console/") -> None:
    """Through the login form; `lands_on` is where the console then takes them (the password
    page for an admin who must first choose their own)."""
    await page.goto("/console/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(lands_on)


# A load the page itself abandoned by navigating away (a form posted while its scripts were still
# loading on a busy machine) is no failure of the server's.
ABANDONED = "net::ERR_ABORTED"


def watch_problems(page) -> list[str]:
    """The script errors and failed requests of `page`, as they happen."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "requestfailed",
        lambda request: None if request.failure == ABANDONED else problems.append(f"request failed: {request.url}"),
    )
    return problems


@contextlib.asynccontextmanager
async def kiosk_screen(chromium, agent):
    """The kiosk agent's screen at the kiosk's size, failing the test on any script error or
    failed request."""
    context = await chromium.new_context(viewport=KIOSK_SCREEN, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems = watch_problems(page)
    await page.goto(agent.screen.url)
    try:
        yield page
    finally:
        await context.close()
    assert problems == []
