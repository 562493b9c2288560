"""Console forms: the posted fields checked with the same pydantic schemas as the API, and
refusals turned into messages shown next to the fields they concern."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sanic.request import Request

from backend.core.errors import AppError
from backend.core.images import ImageError
from backend.core.money import parse_yuan
from backend.core.web.validation import parse_model

T = TypeVar("T")

# What the image checks refuse (not a picture, damaged, too large): the uploader's to fix on the form.
_IMAGE_REFUSALS = frozenset(e.code for e in ImageError)


def form_data(request: Request, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Single-valued fields as strings (blank ones left out, so schema defaults apply); the
    fields named in `lists` (checkbox groups) as lists."""
    form = request.form or {}
    data: dict[str, Any] = {}
    for name in form:
        if name == "csrf_token":
            continue
        if name in lists:
            data[name] = form.getlist(name)
        elif (value := form.get(name, "").strip()) != "":
            data[name] = value
    for name in lists:
        data.setdefault(name, [])
    return data


def posted(request: Request) -> dict[str, str]:
    """What was typed, as typed, to put back in a refused form."""
    form = request.form or {}
    return {name: form.get(name, "") for name in form if name != "csrf_token"}


class FormErrors(dict):
    """field name -> message; the key "" holds a message about the form as a whole."""

    @classmethod
    def of(cls, error: AppError, field_of_code: dict[str, str] | None = None) -> FormErrors:
        errors = cls()
        fields = (error.details or {}).get("fields") if isinstance(error.details, dict) else None
        for item in fields or []:
            errors.setdefault(item["field"].split(".")[0], item["message"])
        if not fields:
            errors[(field_of_code or {}).get(error.code, "")] = error.message
        return errors


def yuan_to_fen(data: dict[str, Any], names: tuple[str, ...], errors: FormErrors) -> None:
    """Amounts typed in yuan replaced in `data` by integer fen; one that is not an amount gets
    its error at its own field. Blank fields stay out, so the schema's default or requirement applies."""
    for name in names:
        if name in data:
            try:
                data[name] = parse_yuan(data[name])
            except ValueError:
                errors[name] = "请输入金额，单位元，最多两位小数"


def validate(model: type[BaseModel], data: dict[str, Any]) -> tuple[BaseModel | None, FormErrors]:
    try:
        return parse_model(model, data), FormErrors()
    except AppError as error:
        return None, FormErrors.of(error)


async def submit(
    model: type[BaseModel],
    data: dict[str, Any],
    act: Callable[[Any], Awaitable[T]],
    field_of_code: dict[str, str] | None = None,
    yuan: tuple[str, ...] = (),
) -> tuple[T | None, FormErrors]:
    """Validate `data` with the API's schema and, if it passes, run `act` with it. What either
    refuses comes back as errors by field (`field_of_code` places a service refusal by its code);
    the errors are empty when `act` succeeded. The fields named in `yuan` are typed in yuan and
    given to the schema in fen."""
    errors = FormErrors()
    yuan_to_fen(data, yuan, errors)
    if errors:
        return None, errors
    body, errors = validate(model, data)
    if body is None:
        return None, errors
    try:
        return await act(body), FormErrors()
    except AppError as refusal:
        return None, FormErrors.of(refusal, field_of_code)


async def store_image(request: Request, store: Callable[[bytes], Awaitable[Any]], missing: str) -> str:
    """Hand the image uploaded in the form's `file` to `store`. Returns what to show next to the
    field: `missing` when nothing was chosen, the image checks' refusal, or "" once stored. Any
    other refusal (the thing is gone, no permission) is raised, not shown as a field error."""
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return missing
    try:
        await store(upload.body)
    except AppError as refusal:
        if refusal.code not in _IMAGE_REFUSALS:
            raise
        return refusal.message
    return ""
