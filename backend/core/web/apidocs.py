"""OpenAPI details that our route decorators mark (`openapi_body`, `openapi_security`).

sanic-ext keys its operation store by the function it decorates, but a route's handler is the
outermost of several decorators; so the marks ride up through functools.wraps and are applied
here to the handler each route really calls.
"""

from __future__ import annotations

from typing import TypedDict

from sanic import Sanic
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationStore


class _SchemeOptions(TypedDict, total=False):
    """The keyword arguments of sanic-ext's add_security_scheme that our schemes use."""

    scheme: str
    location: str
    name: str


# name -> (type, options)
SECURITY_SCHEMES: dict[str, tuple[str, _SchemeOptions]] = {
    "admin_session": ("http", {"scheme": "bearer"}),
    "cadre_session": ("http", {"scheme": "bearer"}),
    "device_signature": ("apiKey", {"location": "header", "name": "X-Signature"}),
}


def document_routes(app: Sanic, exclude_prefixes: tuple[str, ...]) -> None:
    """Document the API routes, except those under `exclude_prefixes` (the console's pages are
    not an API; an API with a spec of its own is documented there)."""
    app.ext.openapi.describe("机关事务后勤服务平台 API", version="1")
    for name, (kind, options) in SECURITY_SCHEMES.items():
        app.ext.openapi.add_security_scheme(name, kind, **options)
    for route in app.router.routes:
        handler = route.handler
        if ("/" + route.path).startswith(exclude_prefixes):
            openapi.exclude()(handler)
            continue
        if model := getattr(handler, "openapi_body", None):
            # openapi.body() would wrap the handler in a new function; record on this one.
            content = openapi._content_or_component({"application/json": model})
            OperationStore()[handler].body(content, required=True)
        if security := getattr(handler, "openapi_security", None):
            openapi.secured(security)(handler)
