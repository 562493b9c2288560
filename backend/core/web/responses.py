"""JSON answers (UTF-8 text, not \\u escapes, so logs and curl show Chinese as Chinese)."""

from __future__ import annotations

from functools import partial
from json import dumps
from urllib.parse import quote

from sanic.response import HTTPResponse, json, raw

from backend.core.spreadsheet import XLSX_TYPE

_dumps = partial(dumps, ensure_ascii=False, separators=(",", ":"), default=str)


def ok(data, status: int = 200) -> HTTPResponse:
    return json(data, status=status, dumps=_dumps)


def xlsx_download(body: bytes, filename: str) -> HTTPResponse:
    """An .xlsx file to save; `filename` may be Chinese (RFC 5987), with an ASCII fallback."""
    fallback = filename if filename.isascii() else "export.xlsx"
    return raw(
        body,
        content_type=XLSX_TYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}",
        },
    )


def private_image(body: bytes, content_type: str, max_age: int = 3600) -> HTTPResponse:
    """A photo only its viewer may see: cached by their own client, never by a shared proxy,
    and never sniffed as anything but the image type stored with it."""
    return raw(
        body,
        content_type=content_type,
        headers={"Cache-Control": f"private, max-age={max_age}", "X-Content-Type-Options": "nosniff"},
    )
