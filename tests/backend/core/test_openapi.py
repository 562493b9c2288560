"""The published API document (/openapi.json): valid OpenAPI, in Chinese, and complete for the
admin and mini-program APIs: every answer has a schema, every query parameter a handler reads
is declared, and the answers the app really gives match their schemas."""

import re

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from backend.core.web.apidocs import api, doc_of
from backend.demo import seed
from tests.helpers import PASSWORD, bearer, login
from tests.helpers.cadres import bound_token
from tests.helpers.routes import query_names

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PUBLISHED = ("/admin/v1", "/mp/v1")


async def _spec(client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(spec: dict, prefixes: tuple[str, ...] = ("/",)):
    for path, item in spec["paths"].items():
        if path.startswith(prefixes) and not path.startswith("/__test__"):  # the harness's own route
            for method, operation in item.items():
                yield path, method, operation


async def test_the_document_validates_as_openapi(client):
    spec = await _spec(client)
    validate(spec)
    # The repair category's exclusive bound is written the 3.0 way, as generators expect.
    hours = str(spec["components"]["schemas"]["CategoryIn"]["properties"]["accept_hours"])
    assert "'exclusiveMinimum': True" in hours and "'minimum': 0.0" in hours


async def test_docs_group_and_summarise_every_route_in_chinese(client):
    spec = await _spec(client)
    assert all(CHINESE.search(tag["name"]) for tag in spec["tags"]), spec["tags"]
    for path, method, operation in _operations(spec):
        assert operation.get("tags") and all(CHINESE.search(t) for t in operation["tags"]), (method, path)
        assert CHINESE.search(operation.get("summary", "")), (method, path, operation.get("summary"))


async def test_every_admin_and_mini_program_route_answers_with_a_schema(client):
    spec = await _spec(client)
    operations = list(_operations(spec, PUBLISHED))
    assert len(operations) > 90
    for path, method, operation in operations:
        successes = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert successes, (method, path)
        for status, response in successes.items():
            assert any(media.get("schema") for media in response.get("content", {}).values()), (method, path, status)


def _api_routes(app):
    """The API's routes, without the OPTIONS and HEAD answers sanic-ext adds to each path."""
    return [
        r
        for r in app.router.routes
        if ("/" + r.path).startswith((*PUBLISHED, "/device/v1")) and r.methods - {"OPTIONS", "HEAD"}
    ]


async def test_every_query_parameter_a_handler_reads_is_declared(app, client):
    spec = await _spec(client)
    for route in _api_routes(app):
        read = query_names(route.handler)
        assert "?" not in read, f"/{route.path} reads a query parameter named by a variable: name it literally"
        doc = doc_of(route.handler)
        declared = {q.name for q in doc.query} if doc else set()
        assert read <= declared, f"/{route.path} reads {sorted(read - declared)} without declaring them in @api"
        path = "/" + re.sub(r"<(\w+):\w+>", r"{\1}", route.path)
        for method in route.methods - {"OPTIONS", "HEAD"}:
            published = {p["name"] for p in spec["paths"][path][method.lower()].get("parameters", [])}
            assert declared <= published, (method, path)


def test_the_query_scan_sees_reads_through_helpers_and_readers():
    """What keeps the check above honest: a read the handler makes, directly, through a reader
    such as query_int, or in a helper of its module it hands the request to, is found."""

    @api("示例")
    async def handler(request):
        request.args.get("direct")
        _helper(request)
        return request.args["indexed"]

    assert query_names(handler) == {"direct", "indexed", "page", "day"}


def _helper(request):
    from backend.core.web.validation import query_date, query_int

    query_int(request, "page", 1, 1, 10)
    return query_date(request, "day")


@pytest.fixture
async def demo(client, runtime):
    await seed(runtime, if_empty=False)


async def _answers_match(client, spec: dict, prefix: str, headers: dict, refused: int = 0) -> int:
    """GET every route under `prefix` that needs no path or required query parameter and check
    its answer against its published schema; returns how many were checked. A route answering
    `refused` (403: not for this principal) is passed over."""
    checked = 0
    for path, method, operation in _operations(spec, (prefix,)):
        if method != "get" or "{" in path or any(p.get("required") for p in operation.get("parameters", [])):
            continue
        response = await client.get(path, headers=headers)
        if response.status_code == refused:
            continue
        assert response.status_code == 200, (path, response.text)
        media = operation["responses"]["200"]["content"]
        if "application/json" not in media:
            continue
        schema = {**media["application/json"]["schema"], "components": spec["components"]}
        errors = [f"{list(e.path)}: {e.message}" for e in OAS30Validator(schema).iter_errors(response.json())]
        assert not errors, (path, errors[:3])
        checked += 1
    return checked


async def test_the_admin_answers_match_their_published_schemas(client, demo):
    """Every admin list and report, with the demo data in it, answers in the shape /openapi.json
    gives it."""
    from backend.demo import create_superadmin

    await create_superadmin("schemas", "接口检查", PASSWORD)
    headers = bearer(await login(client, "schemas"))
    assert await _answers_match(client, await _spec(client), "/admin/v1", headers) >= 15


async def test_the_mini_program_answers_match_their_published_schemas(client, wechat, demo):
    headers = bearer(await bound_token(client, wechat))
    assert await _answers_match(client, await _spec(client), "/mp/v1", headers, refused=403) >= 8


async def test_a_second_app_built_in_the_process_leaves_the_first_ones_document_as_it_was(client, app, settings):
    """Tests build more apps beside the session's; in production one process serves one app."""
    from sanic import Sanic

    from backend.app import create_app

    before = await _spec(client)
    Sanic.test_mode = True
    create_app(settings)
    try:
        assert await _spec(client) == before
    finally:
        Sanic.register_app(app)
