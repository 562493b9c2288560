"""The cadres' mini-program end to end: its H5 build (built here when missing) served at /m/ by
the real backend started as `houqin run` on the embedded default (SQLite, in-process Redis, the
WeChat stand-in), driven by a headless Chromium at a phone's size.

Screenshots go to $SCREENSHOT_DIR (default var/screenshots/miniprogram) for a person to look at."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.browser import ABANDONED
from tests.helpers.environment import free_port, skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
MINIPROGRAM = ROOT / "miniprogram"
H5_INDEX = MINIPROGRAM / "dist" / "build" / "h5" / "index.html"
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 180


def _build_h5() -> None:
    if H5_INDEX.is_file():
        return
    if not shutil.which("npm"):
        skip_or_fail("npm is not installed: the mini-program's H5 build cannot be made")
    if not (MINIPROGRAM / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=MINIPROGRAM, check=True)
    subprocess.run(["npm", "run", "build:h5"], cwd=MINIPROGRAM, check=True)


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    """`houqin run` on a free port with its own var directory; stopped after the tests."""
    _build_h5()
    port = free_port()
    var_dir = tmp_path_factory.mktemp("houqin-var")
    env = {**os.environ, "PORT": str(port), "HOUQIN_VAR_DIR": str(var_dir)}
    for name in ("DATABASE_URL", "REDIS_URL", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_STANDIN"):
        env.pop(name, None)
    houqin = Path(sys.executable).with_name("houqin")
    log = (var_dir / "server.log").open("wb")
    server = subprocess.Popen([str(houqin), "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    try:
        while True:
            if server.poll() is not None:
                pytest.fail(f"houqin run exited with {server.returncode}: see {var_dir / 'server.log'}")
            try:
                if httpx.get(f"{base_url}/mp/v1/auth/config", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"houqin run did not answer within {STARTUP_SECONDS} s: see {var_dir / 'server.log'}")
            time.sleep(1)
        yield {"base_url": base_url, "env": env, "houqin": houqin}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture
async def phone(chromium, backend):
    """A page at a phone's size on the backend; fails the test on any script error, any failed
    request (but one the page abandoned by navigating on), and any request that leaves the
    backend's origin (the intranet has no internet)."""
    context = await chromium.new_context(
        viewport=PHONE, device_scale_factor=2, locale="zh-CN", base_url=backend["base_url"]
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    problems: list[str] = []
    local = (backend["base_url"], "data:", "blob:")
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "requestfailed",
        lambda request: None if request.failure == ABANDONED else problems.append(f"request failed: {request.url}"),
    )
    page.on(
        "request",
        lambda request: None if request.url.startswith(local) else problems.append(f"internet: {request.url}"),
    )
    page.on(
        "response",
        lambda response: problems.append(f"{response.status}: {response.url}") if response.status >= 500 else None,
    )
    yield page
    await context.close()
    assert problems == []


@pytest.fixture(scope="session")
def phone_screenshot():
    folder = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots")) / "miniprogram"
    folder.mkdir(parents=True, exist_ok=True)

    async def take(page, name: str) -> Path:
        path = folder / f"{name}.png"
        await page.screenshot(path=path)
        return path

    return take
