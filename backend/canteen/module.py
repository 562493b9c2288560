"""The canteen module (智慧食堂): canteens, meal periods and prices, terminal payments online and
offline, refunds, bookings, menus and ratings, reports."""

from __future__ import annotations

from backend.canteen.permissions import CanteenPermission as P
from backend.core.modules import DashboardCard, Module, NavItem, NavSection, ScopedObject

MODULE = Module(
    name="canteen",
    title="智慧食堂",
    models="backend.canteen.models",
    permissions=P,
    routes=("backend.canteen.admin_api:bp", "backend.canteen.device_api:bp"),
    pages=(
        "backend.canteen.pages.payments:bp",
        "backend.canteen.pages.reports:bp",
        "backend.canteen.pages.setup:bp",
        "backend.canteen.pages.menus:bp",
        "backend.canteen.pages.bookings:bp",
        "backend.canteen.pages.ratings:bp",
    ),
    nav=(
        NavSection(
            "智慧食堂",
            20,
            (
                NavItem("消费记录", "/console/canteen/payments", P.VIEW_PAYMENT),
                NavItem("日报与报餐", "/console/canteen/report", P.VIEW_PAYMENT),
                NavItem("消费报表", "/console/canteen/reports", P.VIEW_PAYMENT),
                NavItem("单位结算", "/console/canteen/settlement", P.VIEW_SETTLEMENT),
                NavItem("食堂设置", "/console/canteen/canteens/", P.VIEW_PAYMENT),
                NavItem("菜品", "/console/canteen/dishes", P.VIEW_PAYMENT),
                NavItem("菜单", "/console/canteen/menus", P.VIEW_PAYMENT),
                NavItem("报餐名单", "/console/canteen/bookings", P.VIEW_PAYMENT),
                NavItem("菜品评价", "/console/canteen/ratings", P.VIEW_PAYMENT),
            ),
        ),
    ),
    audit_labels={
        "canteen.bind_terminal": "绑定终端",
        "canteen.create_canteen": "新建食堂",
        "canteen.update_canteen": "修改食堂",
        "canteen.create_dish": "新建菜品",
        "canteen.update_dish": "修改菜品",
        "canteen.set_dish_photo": "设置菜品照片",
        "canteen.refund_payment": "因错退款",
        "canteen.set_menu": "发布菜单",
        "canteen.set_period": "设置餐次",
    },
    dashboard=(
        DashboardCard(
            "canteen/dashboard_card.html", "backend.canteen.pages.dashboard:dashboard_card", P.VIEW_PAYMENT, 10
        ),
    ),
    demo="backend.canteen.demo:seed",
    reconcile=("backend.canteen.service.reconcile:check",),
    scoped_object=ScopedObject(
        label="食堂",
        choices="backend.canteen.service.canteens:canteen_choices",
        find="backend.canteen.service.canteens:canteen_id",
        describe="backend.canteen.service.canteens:describe_canteens",
        not_found_code="canteen.canteen_not_found",
    ),
    caches=("backend.canteen.service.terminal_settings:forget_cached_config",),
    presets={
        "食堂管理员": (P.MANAGE_CANTEEN, P.VIEW_PAYMENT, P.REFUND_PAYMENT),
        "财务": (P.VIEW_PAYMENT, P.REFUND_PAYMENT),
    },
)
