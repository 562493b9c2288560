"""The audit log page: who changed what and when, with the fields that changed, filterable."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core import audit
from backend.core.permissions import CorePermission

bp = Blueprint("console_audit", url_prefix="/console/audit")


TABLE = Table(
    title="审计日志",
    columns=(
        Column("at", "时间", sort="id", kind="datetime"),
        Column("actor_name", "操作人"),
        Column("action_label", "操作"),
        Column("object", "对象"),
        Column("changes_text", "变更内容"),
        Column("ip", "来源 IP"),
        Column("request_id", "请求编号"),
    ),
    default_sort="-at",
    filters=(
        Filter("actor_name", "操作人", placeholder="管理员用户名"),
        Filter("action", "操作", kind="select"),
        Filter("object_type", "对象类型", placeholder="如 admin、device"),
        Filter("object_id", "对象编号"),
        Filter("since", "起始日期", kind="date"),
        Filter("until", "截止日期", kind="date"),
    ),
)


def _changes(before: dict | None, after: dict | None) -> list[tuple[str, object, object]]:
    """The fields whose value differs, as (field, before, after)."""
    before, after = before or {}, after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [("", before, after)]
    return [
        (k, before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys()) if before.get(k) != after.get(k)
    ]


def _show(value: object) -> object:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def _view(entry: dict, labels: dict[str, str]) -> dict:
    changes = [(k, _show(b), _show(a)) for k, b, a in _changes(entry["before"], entry["after"])]
    return {
        **entry,
        "action_label": labels.get(entry["action"], entry["action"]),
        "object": f"{entry['object_type']} #{entry['object_id']}",
        "changes": changes,
        "changes_text": "；".join(f"{k}：{b} → {a}" if b is not None else f"{k}：{a}" for k, b, a in changes),
    }


def _query(state):
    f = state.filters
    return audit.entries_query(
        {k: f[k] for k in audit.AUDIT_FILTERS if k in f},
        since=date.fromisoformat(f["since"]) if f["since"] else None,
        until=date.fromisoformat(f["until"]) if f["until"] else None,
    )


def _table_and_view(request: Request):
    labels = request.app.ctx.platform.audit_labels
    table = TABLE.with_options("action", tuple(sorted(labels.items())))
    return table.state(request), lambda entry: _view(entry, labels)


@bp.get("")
@console_page(CorePermission.VIEW_AUDIT)
async def audit_log(request: Request):
    state, view = _table_and_view(request)
    await fetch(state, _query(state), view, values=audit.ENTRY_FIELDS)
    return await page(request, "console/audit.html", state=state)


@bp.get("/export.xlsx")
@console_page(CorePermission.VIEW_AUDIT)
async def audit_export(request: Request):
    state, view = _table_and_view(request)
    return await export(state, _query(state), view, "审计日志", values=audit.ENTRY_FIELDS)
