"""Recording admin writes in the audit log, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.core.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """The admin on whose behalf a service call writes (or the CLI, with admin_id None)."""

    admin_id: int | None
    name: str
    request_id: str = ""
    ip: str = ""


CLI_ACTOR = Actor(admin_id=None, name="cli")


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


AUDIT_FILTERS = ("action", "object_type", "object_id", "actor_name")


async def list_entries(filters: dict[str, str], page: int, page_size: int) -> dict:
    """Newest first; `filters` holds exact matches on the AUDIT_FILTERS fields."""
    entries = AuditEntry.filter(**{k: v for k, v in filters.items() if k in AUDIT_FILTERS and v})
    total = await entries.count()
    rows = await entries.order_by("-id").offset((page - 1) * page_size).limit(page_size).values(
        "id", "at", "actor_name", "action", "object_type", "object_id", "before", "after", "request_id", "ip"
    )
    return {"items": rows, "total": total, "page": page, "page_size": page_size}
