"""The audit log page: who changed what and when, with the fields that changed, filterable.

Staff read it in Chinese: each module declares (in its `module.py`) the Chinese names of the
fields its entries carry, what their stored values mean, and how to name the objects they are
about; amounts (fields ending in `_fen`) are shown in yuan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sanic import Blueprint
from sanic.request import Request

from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import EXPORT_LIMIT, Column, Filter, Table, export, fetch
from backend.core import audit
from backend.core.modules import AuditedObject, Module, resolve
from backend.core.money import format_yuan
from backend.core.permissions import CorePermission
from backend.core.timeutil import BUSINESS_TZ

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
        Filter("object_type", "对象类型", kind="select"),
        Filter("object_id", "对象编号"),
        Filter("since", "起始日期", kind="date"),
        Filter("until", "截止日期", kind="date"),
    ),
)

# Fields nearly every view carries, named once here; a module's own names take precedence.
COMMON_FIELDS = {"id": "编号", "code": "编码", "name": "名称", "is_active": "启用", "reason": "原因"}
MONEY_SUFFIX = "_fen"
LABEL_SUFFIX = "_label"
NONE_SHOWN = "（无）"


@dataclass(frozen=True)
class Terms:
    """One module's words for its audit entries (see `Module.audit_fields`)."""

    fields: Mapping[str, str]
    values: Mapping[str, Mapping[str, str]]
    objects: Mapping[str, AuditedObject]

    def field(self, name: str) -> str:
        return self.fields.get(name) or COMMON_FIELDS.get(name) or name


def _labels(reference: str) -> dict[str, str]:
    """{value: label} of a LabelledEnum, or of the members a function returns."""
    found = resolve(reference)
    members = found if isinstance(found, type) else found()
    return {str(member.value): member.label for member in members}


def vocabulary(modules: Iterable[Module]) -> dict[str, Terms]:
    """Each module's terms, by module name (an entry belongs to the module its action names)."""
    return {
        m.name: Terms(
            fields={**COMMON_FIELDS, **m.audit_fields},
            values={f: _labels(r) for f, r in m.audit_values.items()},
            objects=m.audit_objects,
        )
        for m in modules
    }


_NO_TERMS = Terms({}, {}, {})


def _terms(entry: Mapping[str, Any], words: Mapping[str, Terms]) -> Terms:
    return words.get(str(entry["action"]).partition(".")[0], _NO_TERMS)


def _flatten_labels(view: dict) -> dict:
    """A view's coded value replaced by the label it carries beside it (`state` by `state_label`)."""
    shown = {k: v for k, v in view.items() if not (k.endswith(LABEL_SUFFIX) and k[: -len(LABEL_SUFFIX)] in view)}
    for key in shown:
        if f"{key}{LABEL_SUFFIX}" in view:
            shown[key] = view[f"{key}{LABEL_SUFFIX}"]
    return shown


def _time(text: str) -> str:
    try:
        return datetime.fromisoformat(text).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def show(field: str, value: object, terms: Terms) -> str:
    """A field's value as staff read it."""
    meanings = terms.values.get(field, {})
    if value is None or value == "" or value == []:
        return NONE_SHOWN
    if isinstance(value, bool):
        return "是" if value else "否"
    if field.endswith(MONEY_SUFFIX) and isinstance(value, int):
        return f"{format_yuan(value)} 元"
    if isinstance(value, list):
        return "、".join(show(field, v, terms) for v in value)
    if isinstance(value, dict):
        return "；".join(
            f"{meanings.get(k) or terms.field(k)}：{show(k, v, terms)}" for k, v in _flatten_labels(value).items()
        )
    if isinstance(value, str) and field.endswith("_at"):
        return _time(value)
    return meanings.get(str(value), str(value))


def changes(before: object, after: object, terms: Terms) -> list[tuple[str, str | None, str]]:
    """The fields whose value differs, as (Chinese name, before or None for a new value, after)."""
    if not isinstance(before or {}, dict) or not isinstance(after or {}, dict):
        return [("", show("", before, terms), show("", after, terms))]
    old, new = _flatten_labels(before or {}), _flatten_labels(after or {})
    return [
        (terms.field(k), show(k, old[k], terms) if k in old else None, show(k, new.get(k), terms))
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    ]


async def object_names(entries: Iterable[Mapping[str, Any]], words: Mapping[str, Terms]) -> dict[tuple, str]:
    """The names of the objects `entries` are about, by (module, object type, object id): one
    query per kind of object."""
    wanted: dict[tuple[str, str], set[int]] = {}
    for entry in entries:
        if str(entry["object_id"]).isdigit():
            key = (str(entry["action"]).partition(".")[0], str(entry["object_type"]))
            wanted.setdefault(key, set()).add(int(entry["object_id"]))
    names: dict[tuple, str] = {}
    for (module, kind), ids in wanted.items():
        described = words.get(module, _NO_TERMS).objects.get(kind)
        if described is None or described.model is None and described.describe is None:
            continue
        if described.describe:
            found = await resolve(described.describe)(sorted(ids))
        else:
            model, _, field = str(described.name).rpartition(".")
            found = dict(await resolve(model).filter(id__in=sorted(ids)).values_list("id", field))
        names.update({(module, kind, str(i)): str(name) for i, name in found.items()})
    return names


def object_text(entry: Mapping[str, Any], words: Mapping[str, Terms], names: Mapping[tuple, str]) -> str:
    """ "消费记录 #12 张三 12.00 元": the kind of object, its number and its name."""
    module = str(entry["action"]).partition(".")[0]
    kind, object_id = str(entry["object_type"]), str(entry["object_id"])
    described = words.get(module, _NO_TERMS).objects.get(kind)
    label = described.label if described else kind
    number = f"#{object_id}" if object_id.isdigit() else object_id
    name = names.get((module, kind, object_id))
    return f"{label} {number} {name}" if name else f"{label} {number}"


def _view(entry: dict, labels: dict[str, str], words: Mapping[str, Terms], names: Mapping[tuple, str]) -> dict:
    listed = changes(entry["before"], entry["after"], _terms(entry, words))
    return {
        **entry,
        "action_label": labels.get(entry["action"], entry["action"]),
        "object": object_text(entry, words, names),
        "changes": listed,
        "changes_text": "；".join(f"{k}：{b} → {a}" if b is not None else f"{k}：{a}" for k, b, a in listed),
    }


def _query(state):
    f = state.filters
    return audit.entries_query(
        {k: f[k] for k in audit.AUDIT_FILTERS if k in f},
        since=date.fromisoformat(f["since"]) if f["since"] else None,
        until=date.fromisoformat(f["until"]) if f["until"] else None,
    )


def _object_types(words: Mapping[str, Terms]) -> tuple[tuple[str, str], ...]:
    kinds = {kind: o.label for terms in words.values() for kind, o in terms.objects.items()}
    return tuple(sorted(kinds.items(), key=lambda kind: kind[1]))


def _table(request: Request, words: Mapping[str, Terms]):
    labels = request.app.ctx.platform.audit_labels
    table = TABLE.with_options("action", tuple(sorted(labels.items()))).with_options(
        "object_type", _object_types(words)
    )
    return table.state(request), labels


@bp.get("")
@console_page(CorePermission.VIEW_AUDIT)
async def audit_log(request: Request):
    words = vocabulary(request.app.ctx.platform.modules)
    state, labels = _table(request, words)
    await fetch(state, _query(state), lambda entry: entry, values=audit.ENTRY_FIELDS)
    names = await object_names(state.result.items, words)
    state.result.items[:] = [_view(entry, labels, words, names) for entry in state.result.items]
    return await page(request, "console/audit.html", state=state)


@bp.get("/export.xlsx")
@console_page(CorePermission.VIEW_AUDIT)
async def audit_export(request: Request):
    words = vocabulary(request.app.ctx.platform.modules)
    state, labels = _table(request, words)
    query = _query(state)
    subjects = await query.order_by(*state.ordering()).limit(EXPORT_LIMIT).values("action", "object_type", "object_id")
    names = await object_names(subjects, words)
    return await export(
        state, query, lambda entry: _view(entry, labels, words, names), "审计日志", values=audit.ENTRY_FIELDS
    )
