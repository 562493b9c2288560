"""The published API document (/openapi.json, shown at /docs), in Chinese, from what our route
decorators mark: `accepts` (the request body), the auth guards (`openapi_security`) and `api`
(the Chinese summary, the query parameters a handler reads and the shape of its answer).

sanic-ext keys its operation store by the function it decorates, but a route's handler is the
outermost of several decorators; so the marks ride up through functools.wraps and are applied
here to the handler each route really calls.

Schemas come from pydantic (JSON Schema 2020-12) and are published under components/schemas in
the form of the document's OpenAPI 3.0 (sanic-ext writes 3.0.3): a nullable field is
`nullable: true`, an exclusive bound is `minimum` with `exclusiveMinimum: true`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypedDict, TypeVar

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema
from sanic import Sanic
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationBuilder, OperationStore

from backend.core.labels import LabelledEnum
from backend.core.spreadsheet import XLSX_TYPE


class _SchemeOptions(TypedDict, total=False):
    """The keyword arguments of sanic-ext's add_security_scheme that our schemes use."""

    scheme: str
    location: str
    name: str


# name -> (type, options)
SECURITY_SCHEMES: dict[str, tuple[str, _SchemeOptions]] = {
    "admin_session": ("http", {"scheme": "bearer"}),
    "cadre_session": ("http", {"scheme": "bearer"}),
    "device_signature": ("apiKey", {"location": "header", "name": "X-Signature"}),
}

REF_TEMPLATE = "#/components/schemas/{model}"
# JSON Schema keywords OpenAPI 3.0 has no place for; the validation itself still applies them.
_NOT_IN_30 = ("propertyNames", "prefixItems", "contains", "unevaluatedProperties", "dependentRequired")
_MARK = "openapi_doc"
Handler = TypeVar("Handler", bound=Callable[..., Any])


Item = TypeVar("Item")


class Paged(BaseModel, Generic[Item]):
    """One page of a list (backend.core.pagination.Page)."""

    items: list[Item]
    total: int = Field(description="符合条件的总条数")
    page: int
    page_size: int


class Listed(BaseModel, Generic[Item]):
    """A whole list, unpaged."""

    items: list[Item]


class Done(BaseModel):
    """An action done, with nothing more to say."""

    ok: bool


@dataclass(frozen=True)
class Query:
    """A query-string parameter a handler reads: its name, type (str, int, date or bool) and
    Chinese description; `choices`, the LabelledEnum whose values it takes (listed with their
    labels in the description)."""

    name: str
    description: str
    kind: type = str
    required: bool = False
    choices: type[LabelledEnum] | None = None

    @property
    def text(self) -> str:
        if self.choices is None:
            return self.description
        return f"{self.description}，可选：" + "、".join(f"{v} {label}" for v, label in self.choices.labels().items())


@dataclass(frozen=True)
class File:
    """An answer that is a file (an .xlsx export, a photo) rather than JSON."""

    content_type: str
    description: str


XLSX = File(XLSX_TYPE, "Excel 文件（.xlsx）")
JPEG = File("image/jpeg", "JPEG 图片")

# The query parameters of every paged list.
PAGING = (Query("page", "页码，从 1 开始", int), Query("page_size", "每页条数", int))


@dataclass(frozen=True)
class Doc:
    summary: str
    answer: type[BaseModel] | File | None
    statuses: tuple[int, ...]
    query: tuple[Query, ...]


def api(
    summary: str,
    answer: type[BaseModel] | File | None = None,
    *,
    status: int | tuple[int, ...] = 200,
    query: tuple[Query, ...] = (),
) -> Callable[[Handler], Handler]:
    """Document a route: its Chinese `summary` (shown in /docs), the `answer` of its success
    (`status`, or each of several) as a pydantic model or a `File`, and every `query` parameter
    it reads (a test fails when a handler reads one not declared here)."""

    def mark(handler: Handler) -> Handler:
        vars(handler)[_MARK] = Doc(summary, answer, (status,) if isinstance(status, int) else status, query)
        return handler

    return mark


def doc_of(handler: Callable[..., Any]) -> Doc | None:
    return getattr(handler, _MARK, None)


def openapi30(schema: Any) -> Any:
    """A pydantic (JSON Schema 2020-12) schema in the form OpenAPI 3.0 reads."""
    if isinstance(schema, list):
        return [openapi30(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    converted = {
        # A mapping of property names to schemas is not itself a schema: a field may be named "const".
        k: {name: openapi30(s) for name, s in v.items()} if k == "properties" else openapi30(v)
        for k, v in schema.items()
    }
    for bound, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(converted.get(bound), int | float) and not isinstance(converted[bound], bool):
            converted[inclusive] = converted.pop(bound)
            converted[bound] = True
    if "const" in converted:
        converted["enum"] = [converted.pop("const")]
    if isinstance(converted.get("examples"), list) and converted["examples"]:
        converted["example"] = converted.pop("examples")[0]
    for keyword in _NOT_IN_30:
        converted.pop(keyword, None)
    for union in ("anyOf", "oneOf"):
        choices = converted.get(union)
        if isinstance(choices, list) and {"type": "null"} in choices:
            rest = [c for c in choices if c != {"type": "null"}]
            del converted[union]
            if len(rest) == 1 and "$ref" not in rest[0]:
                converted = {**rest[0], **converted}
            elif len(rest) == 1:
                converted["allOf"] = rest
            else:
                converted[union] = rest
            converted["nullable"] = True
    return converted


def _components(app: Sanic, models: set[tuple[type[BaseModel], str]]) -> dict[tuple[type[BaseModel], str], dict]:
    """Every model's schema (as a request body: "validation", or as an answer: "serialization")
    added under components/schemas; returns each (model, mode)'s reference."""
    if not models:
        return {}
    refs, top = models_json_schema(sorted(models, key=str), ref_template=REF_TEMPLATE)  # type: ignore[arg-type]
    schemas = {name: openapi30(schema) for name, schema in top.get("$defs", {}).items()}
    for name, schema in schemas.items():
        app.ext.openapi.add_component("schemas", name, _inline_nullable_refs(schema, schemas))
    return dict(refs)  # type: ignore[arg-type]


def _inline_nullable_refs(schema: Any, schemas: Mapping[str, dict]) -> Any:
    """A nullable reference written out: in OpenAPI 3.0 `nullable` counts only beside a `type`,
    so "this model or null" is the model's own schema with `nullable: true`."""
    if isinstance(schema, list):
        return [_inline_nullable_refs(s, schemas) for s in schema]
    if not isinstance(schema, dict):
        return schema
    inlined = {k: _inline_nullable_refs(v, schemas) for k, v in schema.items()}
    target = inlined.get("allOf")
    if inlined.get("nullable") and isinstance(target, list) and len(target) == 1 and "$ref" in target[0]:
        del inlined["allOf"]
        model = schemas[target[0]["$ref"].rsplit("/", 1)[-1]]
        inlined = {**_inline_nullable_refs(model, schemas), **inlined}
    return inlined


_PARAMETER_TYPES: dict[type, type] = {str: str, int: int, bool: bool, date: date}


def document_routes(app: Sanic, exclude_prefixes: tuple[str, ...], tags: Mapping[str, str]) -> None:
    """Document the API routes, except those under `exclude_prefixes` (the console's pages are
    not an API; an API with a spec of its own is documented there). `tags` names the group of
    each blueprint's routes in /docs (by blueprint name; its module's title)."""
    app.ext.openapi.describe("机关事务后勤服务平台 API", version="1")
    for name, (kind, options) in SECURITY_SCHEMES.items():
        app.ext.openapi.add_security_scheme(name, kind, **options)
    documented = []
    for route in app.router.routes:
        if ("/" + route.path).startswith(exclude_prefixes):
            openapi.exclude()(route.handler)
        else:
            documented.append(route)
    models: set[tuple[type[BaseModel], str]] = set()
    for route in documented:
        if body := getattr(route.handler, "openapi_body", None):
            models.add((body, "validation"))
        doc = doc_of(route.handler)
        if doc and isinstance(doc.answer, type):
            models.add((doc.answer, "serialization"))
    refs = _components(app, models)
    store = OperationStore()
    for route in documented:
        handler = route.handler
        # The store outlives an app (handlers are module-level functions): each app documents
        # its routes on operations of its own, so a second app built in the same process neither
        # documents a route twice nor rewrites what the first one publishes (sanic-ext's document
        # keeps the operations themselves). What decorators marked on the handler carries over.
        marked = store[handler]
        operation = store[handler] = OperationBuilder()
        operation._exclude, operation._allow_autodoc = marked._exclude, marked._allow_autodoc
        blueprint = route.name.split(".")[1] if route.name.count(".") >= 2 else ""
        if blueprint in tags:
            operation.tag(tags[blueprint])
        if model := getattr(handler, "openapi_body", None):
            # openapi.body() would wrap the handler in a new function; record on this one.
            operation.body({"application/json": {"schema": refs[(model, "validation")]}}, required=True)
        if security := getattr(handler, "openapi_security", None):
            operation.secured(security)
        doc = doc_of(handler)
        if doc is None:
            continue
        operation.describe(summary=doc.summary)
        for parameter in doc.query:
            operation.parameter(
                parameter.name,
                _PARAMETER_TYPES[parameter.kind],
                "query",
                description=parameter.text,
                required=parameter.required,
            )
        for status in doc.statuses:
            if isinstance(doc.answer, File):
                content = {doc.answer.content_type: {"schema": {"type": "string", "format": "binary"}}}
                operation.response(status, content, doc.answer.description)
            elif doc.answer is not None:
                content = {"application/json": {"schema": refs[(doc.answer, "serialization")]}}
                operation.response(status, content, "成功")
