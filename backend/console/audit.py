"""The audit log page: who changed what and when, with the fields that changed, filterable."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core import audit

bp = Blueprint("console_audit", url_prefix="/console/audit")

ACTION_LABELS = {
    "accounts.create_admin": "创建管理员",
    "accounts.create_role": "创建角色",
    "accounts.create_unit": "新建单位",
    "accounts.grant_role": "授予角色",
    "accounts.import_person": "导入人员",
    "accounts.import_roster": "导入名册",
    "accounts.register_device": "注册设备",
    "accounts.reset_admin_password": "重置密码",
    "accounts.rotate_device_secret": "重置设备密钥",
    "accounts.set_admin_active": "启用/停用管理员",
    "accounts.set_device_enabled": "启用/停用设备",
    "canteen.bind_terminal": "绑定终端",
    "canteen.create_canteen": "新建食堂",
    "canteen.create_dish": "新建菜品",
    "canteen.refund_payment": "因错退款",
    "canteen.set_menu": "发布菜单",
    "canteen.set_period": "设置餐次",
    "repairs.create_location": "新增报修地点",
    "repairs.create_part": "新增维修备件",
    "repairs.save_category": "保存报修类别",
    "repairs.save_team": "保存维修班组",
    "repairs.stock_in": "备件入库",
    "wallet.adjust": "人工调账",
    "wallet.issue_card": "发卡",
    "wallet.set_subsidy_rule": "设置餐补规则",
}

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
        Filter("action", "操作", kind="select", options=tuple(ACTION_LABELS.items())),
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


def _view(entry: dict) -> dict:
    changes = [(k, _show(b), _show(a)) for k, b, a in _changes(entry["before"], entry["after"])]
    return {
        **entry,
        "action_label": ACTION_LABELS.get(entry["action"], entry["action"]),
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


@bp.get("")
@console_page("core.view_audit")
async def audit_log(request: Request):
    state = TABLE.state(request)
    await fetch(state, _query(state), _view, values=audit.ENTRY_FIELDS)
    return await page(request, "audit.html", state=state)


@bp.get("/export.xlsx")
@console_page("core.view_audit")
async def audit_export(request: Request):
    state = TABLE.state(request)
    return await export(state, _query(state), _view, "审计日志", values=audit.ENTRY_FIELDS)
