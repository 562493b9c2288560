"""The canteen module (智慧食堂): canteens, meal periods and prices, terminal payments online and
offline, refunds, bookings, menus and ratings, reports."""

from __future__ import annotations

from backend.canteen.permissions import CanteenPermission as P
from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection, ScopedObject

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
    audit_fields={
        "staff": "职工",
        "contractor": "外包人员",
        "visitor": "访客",
        "canteen_id": "食堂编号",
        "has_photo": "有照片",
        "location": "位置",
        "max_payment_fen": "单笔上限",
        "offline_max_payment_fen": "脱机单笔上限",
        "offline_max_count_per_card": "每卡脱机笔数上限",
        "starts_at": "开始时间",
        "ends_at": "结束时间",
        "max_swipes_per_card": "每餐限刷次数",
        "booking_cutoff_hours": "报餐截止（提前小时）",
        "prices": "价格",
        "price_fen": "餐价",
        "subsidy_cap_fen": "餐补上限",
        "canteen": "食堂",
        "device": "设备",
        "mode": "计价方式",
        "tags": "标签",
        "photo_key": "照片",
        "thumbnail_key": "缩略图",
        "payment_id": "消费记录编号",
        "status": "状态",
        "amount_fen": "金额",
        "cash_fen": "现金",
        "subsidy_fen": "餐补",
        "transfer_id": "记账流水号",
        "date": "日期",
        "period": "餐次",
        "dish_ids": "菜品编号",
        "is_active": "在售",
    },
    audit_values={
        "prices": "backend.canteen.models:DinerCategory",
        "mode": "backend.canteen.models:TerminalMode",
        "status": "backend.canteen.models:PaymentStatus",
    },
    audit_objects={
        "canteen": AuditedObject("食堂", name="backend.canteen.models:Canteen.name"),
        "terminal": AuditedObject("消费终端", name="backend.canteen.models:Terminal.name"),
        "dish": AuditedObject("菜品", name="backend.canteen.models:Dish.name"),
        "daily_menu": AuditedObject("菜单"),
        "canteen_payment": AuditedObject("消费记录", describe="backend.canteen.service.canteens:describe_payments"),
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
