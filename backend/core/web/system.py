"""System routes: liveness, readiness, metrics, and the API docs page (assets served locally)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import html, raw

from backend.core.db import ping_db
from backend.core.errors import CommonError
from backend.core.web.apidocs import api
from backend.core.web.observability import metrics_text
from backend.core.web.responses import ok

bp = Blueprint("system")

_DOCS_PAGE = (Path(__file__).resolve().parents[2] / "templates" / "docs.html").read_text(encoding="utf-8")
READY_TIMEOUT = 2.0


@bp.get("/health")
@api("存活检查")
async def health(request: Request):
    """Liveness: the process answers."""
    return ok({"status": "ok"})


async def _check(coro) -> str:
    try:
        await asyncio.wait_for(coro, READY_TIMEOUT)
        return "ok"
    except Exception as exc:  # reported, not raised: readiness names what is down
        return f"error: {type(exc).__name__}"


@bp.get("/ready")
@api("就绪检查：数据库与 Redis 均可用")
async def ready(request: Request):
    """Readiness: the database and Redis both answer."""
    checks = {
        "database": await _check(ping_db()),
        "redis": await _check(request.app.ctx.runtime.redis.ping()),
    }
    if all(v == "ok" for v in checks.values()):
        return ok({"status": "ready", "checks": checks})
    raise CommonError.UNAVAILABLE.error(details={"checks": checks})


@bp.get("/metrics")
@api("监控指标（Prometheus 文本格式）")
async def metrics(request: Request):
    return raw(metrics_text(), content_type="text/plain; version=0.0.4; charset=utf-8")


async def docs(request: Request):
    return html(_DOCS_PAGE)


def add_docs_page(openapi_bp: Blueprint) -> None:
    """The docs page joins sanic-ext's own openapi blueprint (as its index, which sanic-ext
    links to), with its Swagger UI served from our vendored copy instead of a CDN."""
    openapi_bp.add_route(docs, "/docs", name="index")
