"""Request ids, structured logs carrying them, and Prometheus metrics."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from urllib.parse import unquote

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse
from structlog.typing import Processor

from backend.core.errors import CommonError

MAX_ID = 2**31 - 1
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "houqin_http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "houqin_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)

access_log = structlog.get_logger("houqin.access")


def configure_logging(level: str, fmt: str) -> None:
    """Every log line (ours, Sanic's, Tortoise's) is one structured record with the request id,
    written to standard output: `json` one object a line for a log collector, `console` a line a
    person reads in the terminal (`make run`), with the local time to the second."""
    human = fmt == "console"
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S" if human else "iso", utc=False),
    ]
    renderer = (
        structlog.dev.ConsoleRenderer(colors=False, pad_event_to=24)
        if human
        else structlog.processors.JSONRenderer(ensure_ascii=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "tortoise"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("sanic.access").disabled = True  # our access line carries more


def metrics_text() -> bytes:
    """The exposition; with PROMETHEUS_MULTIPROC_DIR set, summed over every worker process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def setup_observability(app: Sanic) -> None:
    # app.middleware rather than app.on_request(priority=...): Sanic types on_request's result as
    # a middleware, not the decorator it returns when given only a priority.
    @app.middleware("request", priority=1000)
    async def start(request: Request) -> None:
        incoming = request.headers.get("x-request-id", "")
        request.ctx.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.ctx.started = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request.ctx.request_id, method=request.method, path=request.path
        )
        # Query strings reach the database as text: a NUL there would be a 500 on PostgreSQL.
        if "\x00" in unquote(request.query_string) or "\x00" in request.path:
            raise CommonError.BAD_REQUEST.error()
        # An id in the path beyond what an id column holds names nothing (and would overflow).
        if any(isinstance(v, int) and not 0 < v <= MAX_ID for v in request.match_info.values()):
            raise CommonError.NOT_FOUND.error()

    @app.on_response(priority=1000)
    async def finish(request: Request, response: HTTPResponse) -> None:
        request_id = getattr(request.ctx, "request_id", "")
        response.headers["X-Request-ID"] = request_id
        started = getattr(request.ctx, "started", None)
        elapsed = time.perf_counter() - started if started else 0.0
        route = request.route.path if request.route else "<unmatched>"
        REQUESTS.labels(request.method, route, str(response.status)).inc()
        LATENCY.labels(request.method, route).observe(elapsed)
        access_log.info(
            "request", status=response.status, ms=round(elapsed * 1000, 2), ip=request.remote_addr or request.ip
        )
