"""The HTTP API the WeChat mini-program calls (`/mp/v1`): thin handlers over backend services,
one module per service, each with its blueprint `bp` (found here, not listed)."""

from __future__ import annotations

import importlib
import pkgutil

from sanic import Blueprint, Sanic


def register(app: Sanic) -> None:
    blueprints = [
        importlib.import_module(f"{__name__}.{info.name}").bp
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]
    app.blueprint(Blueprint.group(*blueprints, url_prefix="/mp/v1"))
