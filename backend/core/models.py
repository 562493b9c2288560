"""Cross-cutting tables: the audit log of admin writes."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    """One admin write: who, what, when, and the object before and after (审计日志)."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=64)
    action = fields.CharField(max_length=64, db_index=True)
    object_type = fields.CharField(max_length=64)
    object_id = fields.CharField(max_length=64)
    before: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    after: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    request_id = fields.CharField(max_length=64, default="")
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "core_audit_entry"
        indexes = (("object_type", "object_id"),)
