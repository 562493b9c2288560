"""The Sanic app factory: `sanic backend.app:create_app --factory`, or `houqin serve`."""

from __future__ import annotations

import importlib
from pathlib import Path

from sanic import Sanic

from backend.accounts import admin as accounts_admin
from backend.accounts import device_api as accounts_device_api
from backend.accounts import pages as accounts_pages
from backend.canteen import admin as canteen_admin
from backend.canteen import device_api as canteen_device_api
from backend.canteen import pages as canteen_pages
from backend.canteen import setup_pages as canteen_setup_pages
from backend.console import audit as console_audit
from backend.console import people as console_people
from backend.console import shell as console_shell
from backend.console.errors import error_page
from backend.core.config import Settings
from backend.core.jobs import broker, runs_in_process, scheduler, start_in_process_scheduler
from backend.core.web import system
from backend.core.web.apidocs import document_routes
from backend.core.web.errors import JsonErrorHandler
from backend.core.web.observability import configure_logging, setup_observability
from backend.repairs import admin as repairs_admin
from backend.repairs import open311_api
from backend.repairs import pages as repairs_pages
from backend.repairs import setup_pages as repairs_setup_pages
from backend.repairs import stats_pages as repairs_stats_pages
from backend.runtime import close_runtime, open_runtime
from backend.wallet import admin as wallet_admin
from backend.wallet import notify_api as wallet_notify_api

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CONSOLE_PREFIX = "/console"

CONSOLE_PAGES = (
    console_shell.bp,
    accounts_pages.bp,
    console_people.bp,
    canteen_pages.bp,
    canteen_setup_pages.bp,
    repairs_pages.bp,
    repairs_setup_pages.bp,
    repairs_stats_pages.bp,
    console_audit.bp,
)

# HTTP APIs that sit above the backend (they import it, never the reverse) and plug themselves
# in through a `register(app)` function.
API_PACKAGES = ("miniprogram_api",)

_OPENAPI_CONFIG = {
    "OAS_URL_PREFIX": "",
    "OAS_URI_TO_JSON": "/openapi.json",
    "OAS_UI_REDOC": False,
    "OAS_UI_SWAGGER": False,
    "OAS_UI_DEFAULT": None,
    "OAS_IGNORE_HEAD": True,
    "OAS_IGNORE_OPTIONS": True,
    "TEMPLATING_PATH_TO_TEMPLATES": str(TEMPLATES_DIR),
}


def _setup_lifecycle(app: Sanic, settings: Settings) -> None:
    @app.before_server_start
    async def start(app: Sanic) -> None:
        if settings.embedded != runs_in_process(broker):
            # The job broker is built from the environment (taskiq's worker imports it by name).
            raise RuntimeError("REDIS_URL in the environment and in the settings given to create_app differ")
        app.ctx.runtime = await open_runtime(settings)
        import backend.tasks  # noqa: F401  (registers every job with the broker)

        broker.state.settings = settings
        await broker.startup()
        if runs_in_process(broker):
            # Embedded default: the scheduler ticks inside the server, jobs run in-process.
            app.ctx.scheduler_task = await start_in_process_scheduler(scheduler)

    @app.after_server_stop
    async def stop(app: Sanic) -> None:
        if task := getattr(app.ctx, "scheduler_task", None):
            task.cancel()
        await broker.shutdown()
        await close_runtime(app.ctx.runtime)


def create_app(settings: Settings | None = None) -> Sanic:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = Sanic(
        "houqin",
        configure_logging=False,
        error_handler=JsonErrorHandler(
            {CONSOLE_PREFIX: error_page, open311_api.OPEN311_PREFIX: open311_api.render_error}
        ),
    )
    app.config.update(_OPENAPI_CONFIG)
    app.config.PROXIES_COUNT = settings.proxies_count
    app.config.REQUEST_MAX_SIZE = 20 * 1024 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.extend(config=_OPENAPI_CONFIG)
    app.ctx.settings = settings

    setup_observability(app)
    _setup_lifecycle(app, settings)
    app.static("/static", STATIC_DIR, name="static")
    app.blueprint(system.bp)
    system.add_docs_page(app.blueprints["openapi"])
    app.blueprint(accounts_admin.bp)
    app.blueprint(accounts_device_api.bp)
    app.blueprint(wallet_admin.bp)
    app.blueprint(wallet_notify_api.bp)
    app.blueprint(canteen_admin.bp)
    app.blueprint(canteen_device_api.bp)
    app.blueprint(repairs_admin.bp)
    app.blueprint(open311_api.bp)
    for pages in CONSOLE_PAGES:
        app.blueprint(pages)
    for package in API_PACKAGES:
        importlib.import_module(package).register(app)
    # Open311 is documented by its own published spec (form bodies, XML answers), not here.
    document_routes(app, exclude_prefixes=(CONSOLE_PREFIX, open311_api.OPEN311_PREFIX))
    return app
