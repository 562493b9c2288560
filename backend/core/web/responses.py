"""JSON answers (UTF-8 text, not \\u escapes, so logs and curl show Chinese as Chinese)."""

from __future__ import annotations

from functools import partial
from json import dumps

from sanic.response import HTTPResponse, json

_dumps = partial(dumps, ensure_ascii=False, separators=(",", ":"), default=str)


def ok(data, status: int = 200) -> HTTPResponse:
    return json(data, status=status, dumps=_dumps)
