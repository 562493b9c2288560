"""The console's navigation: each entry names the permission it needs, so an admin sees only
the pages they may open (and each page refuses the others anyway)."""

from __future__ import annotations

from dataclasses import dataclass

from backend.accounts.permissions import AdminPrincipal


@dataclass(frozen=True)
class NavItem:
    title: str
    path: str
    permission: str | None


@dataclass(frozen=True)
class NavSection:
    title: str
    items: tuple[NavItem, ...]


NAV: tuple[NavSection, ...] = (
    NavSection("总览", (NavItem("仪表盘", "/console/", None),)),
    NavSection(
        "单位与人员",
        (
            NavItem("单位", "/console/units", "accounts.view_unit"),
            NavItem("人员名册", "/console/people", "accounts.view_person"),
            NavItem("名册导入", "/console/people/import", "accounts.import_person"),
        ),
    ),
    NavSection(
        "智慧食堂",
        (
            NavItem("消费记录", "/console/canteen/payments", "canteen.view_payment"),
            NavItem("日报与报餐", "/console/canteen/report", "canteen.view_payment"),
            NavItem("食堂设置", "/console/canteen/canteens/", "canteen.view_payment"),
        ),
    ),
    NavSection(
        "报修管理",
        (
            NavItem("派工台", "/console/repairs/", "repairs.view_report"),
            NavItem("统计", "/console/repairs/stats", "repairs.view_report"),
            NavItem("类别与班组", "/console/repairs/settings", "repairs.view_report"),
            NavItem("地点", "/console/repairs/locations", "repairs.view_report"),
            NavItem("备件库存", "/console/repairs/parts", "repairs.view_report"),
        ),
    ),
    NavSection(
        "系统管理",
        (
            NavItem("管理员与角色", "/console/admins", "accounts.manage_admin"),
            NavItem("设备", "/console/devices", "accounts.view_device"),
            NavItem("审计日志", "/console/audit", "core.view_audit"),
        ),
    ),
)


def visible_nav(principal: AdminPrincipal, current_path: str) -> list[dict]:
    """Sections with the items this admin may open; the item whose path best matches the
    current page is marked active."""
    items = [i for s in NAV for i in s.items if i.permission is None or principal.can(i.permission)]
    matches = [
        i for i in items if current_path == i.path or (i.path != "/console/" and current_path.startswith(i.path))
    ]
    active = max(matches, key=lambda i: len(i.path), default=None)
    sections = []
    for section in NAV:
        shown = [{"title": i.title, "path": i.path, "active": i is active} for i in section.items if i in items]
        if shown:
            sections.append({"title": section.title, "items": shown})
    return sections
