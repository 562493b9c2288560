"""What the security office's console pages share: running a service call from a form (a refusal
comes back as a message by field), and the choices of buildings and gates their forms offer."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from backend.console.forms import FormErrors
from backend.core.errors import AppError
from backend.places import service as places

T = TypeVar("T")


async def attempt(call: Awaitable[T], field_of_code: dict[str, str] | None = None) -> tuple[T | None, FormErrors]:
    """The call's result, or its refusal placed at the field its code concerns."""
    try:
        return await call, FormErrors()
    except AppError as refusal:
        return None, FormErrors.of(refusal, field_of_code)


async def building_options() -> list[tuple[str, str]]:
    return [(str(b["id"]), b["name"]) for b in await places.buildings()]


def whole_number(raw: str | None, default: int = 0) -> int:
    """A number typed in a form; anything else reads as `default`, which the service then refuses."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else default
