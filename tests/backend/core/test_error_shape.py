"""Every failure answers {"error": {"code", "message"}} in Chinese, with a request id."""

import io
import logging

from tests.helpers.errors import assert_error


async def test_unknown_path_is_404_in_error_shape(client):
    assert_error(await client.get("/no/such/page"), 404, "common.not_found")


async def test_wrong_method_is_405_in_error_shape(client):
    assert_error(await client.delete("/health"), 405, "common.method_not_allowed")


async def test_malformed_json_is_refused(client):
    response = await client.post(
        "/admin/v1/auth/login", content=b'{"username": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "common.invalid_json")


async def test_validation_errors_name_each_field_in_chinese(client):
    error = assert_error(await client.post("/admin/v1/auth/login", json={"username": ""}), 422, "common.invalid_input")
    fields = {f["field"]: f["message"] for f in error["details"]["fields"]}
    assert fields == {"username": "内容太短（至少 1 个字符）", "password": "必填"}


async def test_unexpected_exception_is_500_without_internals_and_logged_with_request_id(client):
    stream = io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    try:
        response = await client.get("/__test__/boom", headers={"X-Request-ID": "req-test-0001"})
    finally:
        root.removeHandler(handler)
    error = assert_error(response, 500, "common.internal_error")
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert "req-test-0001" in error["message"]
    assert response.headers["X-Request-ID"] == "req-test-0001"
    # in either log format (JSON in production, readable lines on the embedded default)
    logged = stream.getvalue()
    failure = [line for line in logged.splitlines() if "unhandled exception" in line]
    assert failure and "req-test-0001" in failure[0]
    assert "RuntimeError" in logged[logged.index(failure[0]) :]


async def test_request_id_is_generated_when_absent_or_malformed(client):
    response = await client.get("/health", headers={"X-Request-ID": "bad id with spaces"})
    assert len(response.headers["X-Request-ID"]) == 32


async def test_control_characters_in_a_body_are_refused_field_by_field(client):
    error = assert_error(
        await client.post("/admin/v1/auth/login", json={"username": "a\u0000b", "password": "x"}),
        422,
        "common.invalid_input",
    )
    assert error["details"]["fields"] == [{"field": "username", "message": "包含不允许的控制字符"}]


async def test_nul_in_a_query_string_is_refused(client):
    assert_error(await client.get("/health", params={"q": "a\x00"}), 400, "common.bad_request")


async def test_a_path_value_longer_than_any_code_is_invalid_input_not_a_crash(client):
    from tests.helpers import superadmin_token

    token = await superadmin_token(client)
    response = await client.get(
        "/admin/v1/canteen/canteens/" + "x" * 60 + "/periods", headers={"Authorization": f"Bearer {token}"}
    )
    assert_error(response, 422, "common.invalid_input")
