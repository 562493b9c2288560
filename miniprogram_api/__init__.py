"""The HTTP API the WeChat mini-program calls (`/mp/v1`): thin handlers over backend services,
one module per service, each with its blueprint `bp` and the Chinese `TITLE` its routes are
grouped under in /docs (found here, not listed)."""

from __future__ import annotations

import importlib
import pkgutil

from sanic import Blueprint, Sanic


def register(app: Sanic) -> dict[str, str]:
    """Mount every service under /mp/v1; returns each blueprint's title by its name."""
    services = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]
    app.blueprint(Blueprint.group(*(s.bp for s in services), url_prefix="/mp/v1"))
    return {s.bp.name: s.TITLE for s in services}
