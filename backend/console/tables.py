"""The console's tables, written once: server-side pagination, sorting, filters kept in the
URL, empty states, and .xlsx export of exactly the filtered rows.

A page declares a `Table` (columns and filters), reads its `TableState` from the request, and
hands a Tortoise query plus a row view to `fetch` (one page) or `export` (all filtered rows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from sanic.request import Request
from sanic.response import HTTPResponse
from tortoise.queryset import QuerySet

from backend.core.money import format_yuan, yuan
from backend.core.pagination import Page, paginate
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import BUSINESS_TZ, parse_day, today
from backend.core.web.responses import xlsx_download

PAGE_SIZES = (20, 50, 100)
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: str | None = None  # the ordering field when the column can be sorted on
    kind: str = "text"  # text | money | datetime | date | bool | count
    href: str | None = None  # e.g. "/console/people/{id}", formatted with the row
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    name: str
    label: str
    kind: str = "text"  # text | select | date
    options: tuple[tuple[str, str], ...] = ()
    max_length: int = 50
    placeholder: str = ""
    blank: str = "全部"  # what a select shows when nothing is chosen


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    default_sort: str  # a column key, "-" first for descending
    filters: tuple[Filter, ...] = ()
    tiebreak: str = "id"  # keeps pages stable when the sort column has ties
    title: str = "导出"

    def with_options(self, name: str, options: tuple[tuple[str, str], ...]) -> Table:
        """This table with the select filter `name` offering `options` (read per request,
        e.g. the units or canteens the admin may see)."""
        return replace(self, filters=tuple(replace(f, options=options) if f.name == name else f for f in self.filters))

    def state(self, request: Request) -> TableState:
        """What the URL asks for; anything malformed falls back to the default rather than
        failing, since a shared or bookmarked link should still open."""
        filters = {}
        for f in self.filters:
            value = (request.args.get(f.name) or "").strip()[: f.max_length]
            if f.kind == "select" and value not in {v for v, _ in f.options}:
                value = ""
            if f.kind == "date" and value and not _is_date(value):
                value = ""
            filters[f.name] = value
        sort = request.args.get("sort") or self.default_sort
        if sort.lstrip("-") not in {c.key for c in self.columns if c.sort}:
            sort = self.default_sort
        page_size = _int(request.args.get("page_size"), PAGE_SIZES[0])
        return TableState(
            table=self,
            filters=filters,
            sort=sort,
            page=max(1, min(_int(request.args.get("page"), 1), 100_000)),
            page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
        )


def _int(raw_value: str | None, default: int) -> int:
    try:
        return int(raw_value) if raw_value else default
    except ValueError:
        return default


def _is_date(value: str) -> bool:
    return parse_day(value) is not None


@dataclass
class TableState:
    table: Table
    filters: dict[str, str]
    sort: str
    page: int
    page_size: int
    result: Page | None = field(default=None)

    def ordering(self) -> tuple[str, ...]:
        column = next(c for c in self.table.columns if c.key == self.sort.lstrip("-"))
        descending = self.sort.startswith("-")
        first = ("-" if descending else "") + column.sort
        tiebreak = ("-" if descending else "") + self.table.tiebreak
        return (first,) if column.sort == self.table.tiebreak else (first, tiebreak)

    def query_string(self, **changes: Any) -> str:
        params = {**self.filters, "sort": self.sort, "page": self.page, "page_size": self.page_size, **changes}
        if params["sort"] == self.table.default_sort:
            params.pop("sort")
        if params["page"] == 1:
            params.pop("page")
        if params["page_size"] == PAGE_SIZES[0]:
            params.pop("page_size")
        return urlencode({k: v for k, v in params.items() if v not in ("", None)}, quote_via=quote)

    def sort_link(self, key: str) -> str:
        """Ascending first; a second click on the sorted column flips it."""
        return "?" + self.query_string(sort=key if self.sort != key else f"-{key}", page=1)

    def sort_mark(self, key: str) -> str:
        return "▲" if self.sort == key else "▼" if self.sort == f"-{key}" else ""

    def page_link(self, page: int) -> str:
        return "?" + self.query_string(page=page)

    @property
    def filtered(self) -> bool:
        return any(self.filters.values())

    @property
    def pages(self) -> int:
        return max(1, -(-self.result.total // self.page_size)) if self.result else 1


async def fetch(
    state: TableState, query: QuerySet, view: Callable[[Any], dict], values: tuple[str, ...] = ()
) -> TableState:
    state.result = await paginate(
        query, state.page, state.page_size, order_by=state.ordering(), view=view, values=values
    )
    return state


def cell_text(column: Column, row: dict) -> str:
    """A cell as a person reads it (the page and the export say the same thing)."""
    value = row.get(column.key)
    if value is None or value == "":
        return ""
    if column.kind == "money":
        return format_yuan(value)
    if column.kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
    if column.kind == "date" and isinstance(value, date):
        return value.isoformat()
    if column.kind == "bool":
        return "是" if value else "否"
    return str(value)


def _export_value(column: Column, row: dict) -> Any:
    value = row.get(column.key)
    if column.kind == "money" and value is not None:
        return yuan(value)
    if column.kind == "count":
        return value
    return cell_text(column, row)


async def export(
    state: TableState, query: QuerySet, view: Callable[[Any], dict], filename: str, values: tuple[str, ...] = ()
) -> HTTPResponse:
    """Every row the current filters select (up to EXPORT_LIMIT), in the current order."""
    ordered = query.order_by(*state.ordering()).limit(EXPORT_LIMIT)
    rows = [view(r) for r in await (ordered.values(*values) if values else ordered)]
    columns = state.table.columns
    header = [c.label + ("（元）" if c.kind == "money" else "") for c in columns]
    body = await table_workbook(state.table.title, header, [[_export_value(c, r) for c in columns] for r in rows])
    return xlsx_download(body, f"{filename}-{today().isoformat()}.xlsx")
