"""The mini-program's H5 build served at /m/, and a Chinese page on how to build it until it is."""

import itertools

import httpx
import pytest
from sanic import Sanic

from backend.core.web.miniprogram_h5 import setup_miniprogram_h5
from tests.helpers.environment import free_port

_names = itertools.count()


@pytest.fixture
async def serve():
    servers = []

    async def start(directory) -> str:
        Sanic.test_mode = True
        app = Sanic(f"h5_{next(_names)}")
        setup_miniprogram_h5(app, directory)
        port = free_port()
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def test_the_built_h5_is_served_under_m_with_its_assets(serve, tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>', encoding="utf-8")
    (tmp_path / "assets" / "index.js").write_text("console.log(1)", encoding="utf-8")
    base = await serve(tmp_path)
    async with httpx.AsyncClient(base_url=base) as http:
        page = await http.get("/m/")
        assert page.status_code == 200 and 'id="app"' in page.text
        assert (await http.get("/m/assets/index.js")).text == "console.log(1)"
        moved = await http.get("/m")
        assert moved.status_code in (301, 302) and moved.headers["location"] == "/m/"
        assert (await http.get("/m/../pyproject.toml")).status_code == 404


async def test_before_the_build_m_says_how_to_build_it(serve, tmp_path):
    base = await serve(tmp_path / "missing")
    async with httpx.AsyncClient(base_url=base) as http:
        for path in ("/m/", "/m/pages/index/index"):
            page = await http.get(path)
            assert page.status_code == 503 and "npm run build:h5" in page.text and "make run" in page.text
