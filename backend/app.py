"""The Sanic app factory: `sanic backend.app:create_app --factory`, or `houqin serve`.

The app is built from the list of modules (`backend.modules`): each module's routes, console
pages, templates, error pages and permissions come from its `module.py`. Building fails when a
route names a permission no listed module declares, or a module names code that does not exist.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from sanic import Sanic

from backend import modules as module_list
from backend.console import audit as console_audit
from backend.console import person as console_person
from backend.console import shell as console_shell
from backend.console.errors import error_page
from backend.core.config import Settings
from backend.core.jobs import broker, runs_in_process, scheduler, start_in_process_scheduler
from backend.core.modules import Platform, references, resolve
from backend.core.web import system
from backend.core.web.apidocs import document_routes
from backend.core.web.errors import JsonErrorHandler
from backend.core.web.miniprogram_h5 import setup_miniprogram_h5
from backend.core.web.observability import configure_logging, setup_observability
from backend.core.web.permissions import check_routes
from backend.runtime import close_runtime, open_runtime

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
CONSOLE_PREFIX = "/console"

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
    # Docstrings are for programmers (English); /docs shows the Chinese summaries of `api`.
    "OAS_AUTODOC": False,
}
# sanic-ext would add a HEAD and an OPTIONS route beside every route once each worker starts,
# one at a time, re-finalising the router each time: with ~450 routes that took 35 s of a
# worker's start (Sanic gives a worker 30 s). No client of ours sends either method: the
# console is same-origin, the mini-program is not a browser page, devices only POST and GET.
_NO_AUTOMATIC_ROUTES = {"HTTP_AUTO_HEAD": False, "HTTP_AUTO_OPTIONS": False, "CORS_AUTOMATIC_OPTIONS": False}


def _setup_lifecycle(app: Sanic, settings: Settings, platform: Platform) -> None:
    @app.before_server_start
    async def start(app: Sanic) -> None:
        if settings.embedded != runs_in_process(broker):
            # The job broker is built from the environment (taskiq's worker imports it by name).
            raise RuntimeError("REDIS_URL in the environment and in the settings given to create_app differ")
        app.ctx.runtime = await open_runtime(settings, keep_redis=True)
        for module in platform.modules:
            if module.jobs:
                resolve(module.jobs)  # registers the module's jobs with the broker

        broker.state.settings = settings
        await broker.startup()
        if runs_in_process(broker):
            # Embedded default: the scheduler ticks inside the server, jobs run in-process.
            app.ctx.scheduler_task = await start_in_process_scheduler(scheduler)
        app.ctx.worker_tasks = [
            asyncio.create_task(resolve(task)(app.ctx.runtime), name=task)
            for module in platform.modules
            for task in module.worker_tasks
        ]

    @app.after_server_stop
    async def stop(app: Sanic) -> None:
        if task := getattr(app.ctx, "scheduler_task", None):
            task.cancel()
        for task in getattr(app.ctx, "worker_tasks", ()):
            task.cancel()
        await asyncio.gather(*getattr(app.ctx, "worker_tasks", ()), return_exceptions=True)
        await broker.shutdown()
        await close_runtime(app.ctx.runtime)


def create_app(settings: Settings | None = None, modules: tuple[str, ...] = module_list.MODULE_PACKAGES) -> Sanic:
    """The app of the modules `modules` (the list in backend/modules.py by default), which become
    this process's modules; if building fails, the process keeps the modules it had."""
    previous = module_list.active_packages()
    try:
        return _build(settings or Settings.from_env(), modules)
    except BaseException:
        module_list.activate(previous)
        raise


def _build(settings: Settings, modules: tuple[str, ...]) -> Sanic:
    configure_logging(settings.log_level, settings.log_format)
    declared = module_list.activate(modules)
    platform = Platform.of(declared, module_list.registry())
    for module in declared:
        for reference in references(module):
            resolve(reference)  # a module naming code that does not exist fails here, not at first use
        if module.settings:
            resolve(module.settings).from_env(settings.environ)  # a bad value stops the start, too
    error_renderers = {prefix: resolve(r) for m in declared for prefix, r in m.error_renderers.items()}
    app = Sanic(
        "houqin",
        configure_logging=False,
        error_handler=JsonErrorHandler({CONSOLE_PREFIX: error_page, **error_renderers}),
    )
    config = {
        **_OPENAPI_CONFIG,
        **_NO_AUTOMATIC_ROUTES,
        # Each module's templates are named "<module>/<page>.html" under its own folder.
        "TEMPLATING_PATH_TO_TEMPLATES": [
            str(TEMPLATES_DIR),
            *(str(m.templates) for m in declared if m.templates.is_dir()),
        ],
    }
    app.config.update(config)
    app.config.PROXIES_COUNT = settings.proxies_count
    app.config.REQUEST_MAX_SIZE = 20 * 1024 * 1024
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.extend(config=config)
    app.ctx.settings = settings
    app.ctx.platform = platform

    setup_observability(app)
    _setup_lifecycle(app, settings, platform)
    app.static("/static", STATIC_DIR, name="static")
    setup_miniprogram_h5(app)
    app.blueprint(system.bp)
    system.add_docs_page(app.blueprints["openapi"])
    for module in declared:
        for reference in module.routes:
            app.blueprint(resolve(reference))
    app.blueprint(console_shell.bp)
    app.blueprint(console_person.bp)
    for module in declared:
        for reference in module.pages:
            app.blueprint(resolve(reference))
    app.blueprint(console_audit.bp)
    # The group each blueprint's routes are listed under in /docs: its module's title.
    tags = {"system": "系统"}
    tags |= {resolve(reference).name: module.title for module in declared for reference in module.routes}
    for package in API_PACKAGES:
        tags |= importlib.import_module(package).register(app)
    check_routes(app, platform.registry)
    undocumented = tuple(p for m in declared for p in m.undocumented_prefixes)
    document_routes(app, exclude_prefixes=(CONSOLE_PREFIX, *undocumented), tags=tags)
    return app
