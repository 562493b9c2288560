"""OpenAPI details that our route decorators mark (`openapi_body`, `openapi_security`).

sanic-ext keys its operation store by the function it decorates, but a route's handler is the
outermost of several decorators; so the marks ride up through functools.wraps and are applied
here to the handler each route really calls.
"""

from __future__ import annotations

from sanic import Sanic
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationStore

SECURITY_SCHEMES = {
    "admin_session": {"type": "http", "scheme": "bearer"},
    "cadre_session": {"type": "http", "scheme": "bearer"},
    "device_signature": {"type": "apiKey", "location": "header", "name": "X-Signature"},
}


def document_routes(app: Sanic, exclude_prefixes: tuple[str, ...]) -> None:
    """Document the API routes, except those under `exclude_prefixes` (the console's pages are
    not an API; an API with a spec of its own is documented there)."""
    app.ext.openapi.describe("机关事务后勤服务平台 API", version="1")
    for name, scheme in SECURITY_SCHEMES.items():
        scheme = dict(scheme)
        app.ext.openapi.add_security_scheme(name, scheme.pop("type"), **scheme)
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
