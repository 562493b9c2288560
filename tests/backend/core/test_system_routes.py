"""Liveness, readiness, metrics, OpenAPI and the docs page."""

import re


async def test_health_answers_ok(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_database_and_redis(client):
    response = await client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


async def test_metrics_are_prometheus_text_counting_requests(client):
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert re.search(r'houqin_http_requests_total\{method="GET",route="health",status="200"\} \d', response.text)
    assert "houqin_http_request_seconds_bucket" in response.text


async def test_openapi_document_lists_the_apis(client):
    spec = (await client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    for path in ("/admin/v1/auth/login", "/mp/v1/auth/login", "/mp/v1/auth/bind", "/device/v1/heartbeat"):
        assert path in spec["paths"], path
    login_body = spec["paths"]["/admin/v1/auth/login"]["post"]["requestBody"]
    assert "application/json" in login_body["content"]


async def test_docs_page_loads_only_local_assets(client):
    page = await client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset


async def test_no_route_answers_head_or_options_so_a_worker_starts_without_adding_hundreds(app, client):
    # Sanic's own static files answer HEAD by themselves, at one route each (the console's, and
    # the mini-program's H5 build once it is built).
    static = ("static/", "m/")
    added = [r.path for r in app.router.routes if r.methods & {"HEAD", "OPTIONS"} and not r.path.startswith(static)]
    assert added == []
    answer = await client.options("/ready")
    assert answer.status_code == 405
    assert set(answer.json()["error"]) == {"code", "message"}
