"""Checking an error answer: the one shape, the stable code, a Chinese message."""


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"]), "message is not Chinese"
    return body["error"]
