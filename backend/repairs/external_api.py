"""The Open311 GeoReport v2 routes (`/open311/v2/...`, each as `.json` and `.xml`): thin handlers
over `backend.repairs.service.open311`, whose docstring says how repairs map onto Open311 and who may
call what. Every refusal under `/open311` is answered in Open311's own error shape
(`render_error`, plugged into the app's error handler), not in the platform's.

    GET  services.{json,xml}                 public
    GET  services/<code>.{json,xml}          public
    GET  requests.{json,xml}                 api_key (query)
    POST requests.{json,xml}                 api_key (form); Idempotency-Key header optional
    GET  requests/<id>.{json,xml}            api_key (query)
"""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, raw

from backend.accounts.guards import rate_limited, runtime
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.core.web.responses import ok
from backend.core.web.validation import parse_model
from backend.repairs.schemas import Open311RequestIn
from backend.repairs.service import open311, open311_keys
from backend.repairs.service.open311_keys import KeyHolder

OPEN311_PREFIX = "/open311"
FORMATS = ("json", "xml")

bp = Blueprint("open311", url_prefix=f"{OPEN311_PREFIX}/v2")


def _format(request: Request) -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def reply(fmt: str, root: str, data: list | dict, status: int = 200) -> HTTPResponse:
    """`data` as JSON, or as XML under the spec's `root` element."""
    if fmt == "xml":
        return raw(open311.to_xml(root, data), status=status, content_type="text/xml; charset=utf-8")
    return ok(data, status)


def render_error(request: Request, error: AppError, request_id: str) -> HTTPResponse:
    """Any refusal under /open311, unknown paths included, as `[{"code", "description"}]` (or
    `<errors>`), in the format the path asks for."""
    status = open311.http_status(error.status)
    return reply(_format(request), "errors", open311.errors_view(error, status), status)


def both_formats(method: str, path: str):
    """Route `path.json` and `path.xml` to one handler, which tells them apart by `_format`."""

    def decorator(handler):
        for fmt in FORMATS:
            bp.route(f"{path}.{fmt}", methods=[method], name=f"{handler.__name__}_{fmt}")(handler)
        return handler

    return decorator


async def _client(request: Request, api_key: str | None) -> KeyHolder:
    return await open311_keys.authenticate(runtime(request).cipher, api_key or "")


@both_formats("GET", "/services")
async def services(request: Request):
    return reply(_format(request), "services", await open311.services())


@bp.get("/services/<code:ext=json|xml>")
async def service_definition(request: Request, code: str, ext: str):
    return reply(ext, "service_definition", await open311.service_definition(code))


@both_formats("GET", "/requests")
@rate_limited("api_rate_limit", "open311_read")
async def list_requests(request: Request):
    await _client(request, request.args.get("api_key"))
    args = {name: request.args.getlist(name) for name in request.args}
    query = open311.parse_requests_query(args, now())
    return reply(_format(request), "service_requests", await open311.find_requests(query))


@both_formats("POST", "/requests")
@rate_limited("api_rate_limit", "open311_post")
async def post_request(request: Request):
    """Form-encoded, as the spec sends it; an empty field counts as absent (the spec's rule for
    optional arguments). Limited per client IP and, once known, per API key."""
    form = request.form or {}
    holder = await _client(request, form.get("api_key") or request.args.get("api_key"))
    rt = runtime(request)
    await rt.limiter.hit(rt.settings.api_rate_limit, "open311_post_key", str(holder.key_id))
    fields = {name: values[0] for name, values in form.items() if values and values[0] != ""}
    body = parse_model(Open311RequestIn, fields)
    filed = await open311.file_request(holder, body, request.headers.get("idempotency-key"), now())
    return reply(_format(request), "service_requests", filed)


@bp.get("/requests/<request_id=int:ext=json|xml>")
@rate_limited("api_rate_limit", "open311_read")
async def service_request(request: Request, request_id: int, ext: str):
    await _client(request, request.args.get("api_key"))
    return reply(ext, "service_requests", await open311.get_request(request_id))
