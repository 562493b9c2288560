"""Steps in the browser that several page tests take."""

from tests.helpers import PASSWORD


async def log_in(page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/console/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/")
