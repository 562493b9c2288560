"""The cadres' mini-program built for the browser (`miniprogram/`, `npm run build:h5`), served at
/m/ beside the API it calls, so a reviewer without WeChat DevTools clicks through the cadre's side.

Served when the build exists (`make run` builds it where Node.js is installed); until then /m/
says in Chinese how to build it. Its router keeps the page in the URL's fragment, so every page is
index.html. None of it is API: it stays out of /openapi.json."""

from __future__ import annotations

from pathlib import Path

from sanic import Sanic
from sanic.response import html, redirect
from sanic_ext.extensions.openapi import openapi

H5_DIR = Path(__file__).resolve().parents[3] / "miniprogram" / "dist" / "build" / "h5"

_NOT_BUILT = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>小程序 H5 版尚未构建</title>
<body style="font-family:sans-serif;max-width:36em;margin:3em auto;line-height:1.7">
<h1>小程序 H5 版尚未构建</h1>
<p>在项目目录运行 <code>make run</code>（需要 Node.js 18 或更高版本与 npm），它会构建小程序的 H5 版并在此处提供。
也可以单独构建：<code>cd miniprogram &amp;&amp; npm ci &amp;&amp; npm run build:h5</code>，然后重启服务。</p>
</body></html>"""


def setup_miniprogram_h5(app: Sanic, directory: Path = H5_DIR) -> None:
    if (directory / "index.html").is_file():
        app.static("/m/", directory, name="miniprogram_h5", index="index.html")

        @openapi.exclude()
        async def to_slash(request):
            return redirect("/m/")

        app.add_route(to_slash, "/m", name="miniprogram_h5_slash", strict_slashes=True)
        return

    @openapi.exclude()
    async def not_built(request, rest: str = ""):
        return html(_NOT_BUILT, status=503)

    app.add_route(not_built, "/m/", name="miniprogram_h5_missing")
    app.add_route(not_built, "/m/<rest:path>", name="miniprogram_h5_missing_path")
