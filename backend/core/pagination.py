"""One page of a list, the same shape everywhere: items, total, page, page_size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tortoise.queryset import QuerySet


@dataclass(frozen=True)
class Page:
    items: list
    total: int
    page: int
    page_size: int

    def as_dict(self) -> dict:
        return {"items": self.items, "total": self.total, "page": self.page, "page_size": self.page_size}


async def paginate(
    query: QuerySet,
    page: int,
    page_size: int,
    *,
    order_by: tuple[str, ...],
    view: Callable[[Any], Any] = lambda row: row,
    values: tuple[str, ...] = (),
) -> Page:
    total = await query.count()
    rows = query.order_by(*order_by).offset((page - 1) * page_size).limit(page_size)
    fetched = await (rows.values(*values) if values else rows)
    return Page([view(r) for r in fetched], total, page, page_size)
