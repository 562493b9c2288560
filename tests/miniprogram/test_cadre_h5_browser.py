"""A cadre's morning on the H5 build against the real backend: log in through the WeChat
stand-in, show the pay code, book a meal, report a repair with a photo, and the repair is on the
console's repairs board."""

import io
import re
import subprocess
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pyotp
from PIL import Image

from tests.helpers import PASSWORD
from tests.helpers.browser import log_in

JSQR = Path(__file__).resolve().parents[2] / "miniprogram" / "node_modules" / "jsqr" / "dist" / "jsQR.js"
CADRE_PHONE = "13800000001"
CADRE_NAME = "张伟"
SHANGHAI = timezone(timedelta(hours=8))


async def _log_in(page) -> str:
    await page.goto("/m/")
    await page.wait_for_url("**/m/#/pages/login/standin")
    await page.locator("input").first.fill(CADRE_PHONE)
    await page.locator("uni-button").filter(has_text=re.compile(r"^\s*登录\s*$")).click()
    await page.get_by_text(CADRE_NAME, exact=True).wait_for()
    return await page.evaluate("() => localStorage.getItem('houqin.session')")


def _api(backend, token: str) -> httpx.Client:
    return httpx.Client(base_url=backend["base_url"], headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _photo() -> bytes:
    """A phone-sized photo (4000×3000), which the page must make smaller before it uploads it."""
    buffer = io.BytesIO()
    Image.new("RGB", (4000, 3000), (90, 140, 200)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


async def test_stand_in_login_lands_on_the_cadres_home(phone, backend, phone_screenshot):
    token = await _log_in(phone)

    assert token
    await phone.get_by_text("付款码", exact=True).wait_for()
    await phone.get_by_text("随手拍", exact=True).wait_for()
    await phone_screenshot(phone, "01-home")


async def test_pay_code_is_the_backends_current_code_drawn_as_qr(phone, backend, phone_screenshot):
    token = await _log_in(phone)

    await phone.get_by_text("付款码", exact=True).click()
    digits = phone.get_by_text(re.compile(r"^66\d\d( \d{4}){3} \d\d$"))
    await digits.wait_for()
    shown = (await digits.inner_text()).replace(" ", "")

    # given the key the backend keeps for this session, the code shown is its TOTP now (or of a
    # neighbouring step, if the step turned while we looked)
    with _api(backend, token) as api:
        key = api.post("/mp/v1/wallet/paycode").json()
    totp = pyotp.TOTP(key["secret"], digits=key["digits"], interval=key["step_seconds"])
    now = time.time()
    expected = {f"{key['prefix']}{key['key_id']}{totp.at(now - back * key['step_seconds'])}" for back in (-1, 0, 1)}
    assert shown in expected
    # and the QR code drawn on the page reads back as that same code (jsQR, from the
    # mini-program's dev dependencies, decodes the canvas)
    await phone.add_script_tag(path=str(JSQR))
    decoded = await phone.evaluate(
        """() => {
            const canvas = document.querySelector('uni-canvas canvas');
            const image = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            const found = jsQR(image.data, image.width, image.height);
            return found && found.data;
        }"""
    )
    assert decoded in expected
    await phone_screenshot(phone, "02-paycode")


def _booked(backend, token: str, day: str) -> set[tuple[str, str]]:
    with _api(backend, token) as api:
        items = api.get("/mp/v1/canteen/bookings", params={"from": day, "to": day}).json()["items"]
    return {(b["canteen"], b["period"]) for b in items if b["date"] == day and b["status"] == "booked"}


async def test_booking_a_meal_for_tomorrow(phone, backend, phone_screenshot):
    token = await _log_in(phone)
    tomorrow = (datetime.now(SHANGHAI).date() + timedelta(days=1)).isoformat()
    before = _booked(backend, token, tomorrow)

    await phone.goto("/m/#/pkg-canteen/pages/index")
    tomorrow_block = phone.locator(".day").nth(1)
    free_meal = tomorrow_block.locator("uni-button").filter(has_not_text="已报").first
    await free_meal.wait_for()
    meal_name = (await free_meal.inner_text()).strip()
    await free_meal.click()
    await tomorrow_block.get_by_text(f"{meal_name} 已报").wait_for()
    await phone_screenshot(phone, "03-booking")

    assert len(_booked(backend, token, tomorrow) - before) == 1


async def _pick_first(page, label: str, picker: int) -> None:
    """Opens the form's `picker`-th picker by its label and takes the option it starts on."""
    await page.get_by_text(label, exact=True).click()
    await page.locator(".wd-picker__action", has_text="完成").nth(picker).click()
    await page.wait_for_timeout(400)


async def test_reporting_a_repair_with_a_photo_reaches_the_console(phone, backend, phone_screenshot, tmp_path):
    await _log_in(phone)
    await phone.goto("/m/#/pkg-repairs/pages/new")
    await phone.get_by_text("拍照/相册").wait_for()

    async with phone.expect_file_chooser() as chooser:
        await phone.get_by_text("拍照/相册").click()
    photo = tmp_path / "leak.jpg"
    photo.write_bytes(_photo())
    await (await chooser.value).set_files(str(photo))
    await phone.get_by_text("上传中", exact=True).wait_for(state="detached")
    await _pick_first(phone, "类别", 0)
    await _pick_first(phone, "地点", 1)
    description = f"卫生间水龙头漏水 {date.today():%m%d}-{time.time_ns() % 100000}"
    await phone.locator("textarea").fill(description)
    await phone_screenshot(phone, "04-repair-form")
    await phone.locator('[data-action="submit"]').click()

    await phone.wait_for_url(re.compile(r".*/pkg-repairs/pages/detail\?id=\d+"))
    await phone.get_by_text(description).wait_for()
    await phone.locator("uni-image.auth-image").first.wait_for()
    await phone_screenshot(phone, "05-repair-detail")
    report_id = int(re.search(r"id=(\d+)", phone.url).group(1))

    # then an administrator sees it, with its photo, on the console
    subprocess.run(
        [str(backend["houqin"]), "create-admin", "--username", "e2e-mp", "--password-stdin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        env=backend["env"],
        check=True,
        capture_output=True,
    )
    with httpx.Client(base_url=backend["base_url"], timeout=10) as admin:
        login = admin.post("/admin/v1/auth/login", json={"username": "e2e-mp", "password": PASSWORD})
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        report = admin.get(f"/admin/v1/repairs/reports/{report_id}", headers=headers).json()
    assert report["description"] == description
    assert len(report["photos"]) == 1
    assert max(report["photos"][0]["width"], report["photos"][0]["height"]) <= 1600

    console = await phone.context.browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN", base_url=backend["base_url"]
    )
    try:
        page = await console.new_page()
        await log_in(page, "e2e-mp")
        await page.goto(f"/console/repairs/{report_id}")
        await page.get_by_text(description).first.wait_for()
        await phone_screenshot(page, "06-console-repair")
    finally:
        await console.close()


async def _title_size(page, text: str) -> float:
    return await page.get_by_text(text, exact=True).first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")


async def test_extra_large_font_is_kept_and_applies_to_every_page(phone, backend, phone_screenshot):
    await _log_in(phone)
    standard = await _title_size(phone, "付款码")

    await phone.get_by_text("字体大小", exact=True).click()
    await phone.get_by_text("特大", exact=True).click()
    await phone.goto("/m/")
    await phone.reload()
    await phone.get_by_text(CADRE_NAME, exact=True).wait_for()

    assert await _title_size(phone, "付款码") >= standard * 1.3
    await phone_screenshot(phone, "07-home-extra-large-font")
