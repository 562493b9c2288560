"""Recording admin writes in the audit log, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.models import Model
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.core.models import AuditEntry
from backend.core.pagination import Page, paginate
from backend.core.timeutil import day_start


@dataclass(frozen=True)
class Actor:
    """The admin on whose behalf a service call writes (or the CLI, with admin_id None)."""

    admin_id: int | None
    name: str
    request_id: str = ""
    ip: str = ""


CLI_ACTOR = Actor(admin_id=None, name="命令行")


async def record(
    conn: Any,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    await AuditEntry.create(
        actor_id=actor.admin_id,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        request_id=actor.request_id,
        ip=actor.ip,
        using_db=conn,
    )


async def record_many(
    conn: Any, actor: Actor, action: str, object_type: str, changes: list[tuple[Any, dict | None, dict | None]]
) -> None:
    """One entry per object (id, before, after), written in one statement: bulk writes such as a
    roster import stay auditable person by person."""
    await AuditEntry.bulk_create(
        [
            AuditEntry(
                actor_id=actor.admin_id,
                actor_name=actor.name,
                action=action,
                object_type=object_type,
                object_id=str(object_id),
                before=before,
                after=after,
                request_id=actor.request_id,
                ip=actor.ip,
            )
            for object_id, before, after in changes
        ],
        batch_size=500,
        using_db=conn,
    )


AUDIT_FILTERS = ("action", "object_type", "object_id", "actor_name")


ENTRY_FIELDS = ("id", "at", "actor_name", "action", "object_type", "object_id", "before", "after", "request_id", "ip")


def entries_query(filters: dict[str, str], since: date | None = None, until: date | None = None) -> QuerySet:
    """Exact matches on the AUDIT_FILTERS fields, and business days from `since` to `until`."""
    entries = AuditEntry.filter(**{k: v for k, v in filters.items() if k in AUDIT_FILTERS and v})
    if since:
        entries = entries.filter(at__gte=day_start(since))
    if until:
        entries = entries.filter(at__lt=day_start(until + timedelta(days=1)))
    return entries


async def list_entries(filters: dict[str, str], page: int, page_size: int) -> Page:
    """Newest first; `filters` holds exact matches on the AUDIT_FILTERS fields."""
    return await paginate(entries_query(filters), page, page_size, order_by=("-id",), values=ENTRY_FIELDS)


async def update_audited(
    actor: Actor,
    model: type[Model],
    pk: int,
    changes: dict[str, Any],
    *,
    view: Callable[[Any], dict],
    action: str,
    object_type: str,
    not_found: Exception,
) -> dict:
    """Change fields of one row under a row lock and audit it with its view before and after."""
    async with in_transaction() as conn:
        row = await model.filter(pk=pk).using_db(conn).select_for_update().get_or_none()
        if row is None:
            raise not_found
        before = view(row)
        for name, value in changes.items():
            setattr(row, name, value)
        await row.save(using_db=conn, update_fields=list(changes))
        after = view(row)
        await record(conn, actor, action, object_type, pk, before, after)
    return after
