"""Steps in the browser that several page tests take."""

from tests.helpers import PASSWORD


async def log_in(page, username: str, password: str = PASSWORD, lands_on: str = "**/console/") -> None:
    """Through the login form; `lands_on` is where the console then takes them (the password
    page for an admin who must first choose their own)."""
    await page.goto("/console/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url(lands_on)
