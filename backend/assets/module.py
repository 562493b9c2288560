"""The assets module (资产、公物仓与办公用房): asset cards and QR labels, the 公物仓 with requests and
loans approved through the approval chain, disposals, stock-taking by room, and the office-space
register (一房一档) with the area standard and room reallocation."""

from __future__ import annotations

from dataclasses import replace

from backend.assets.permissions import AssetsPermission as P
from backend.core.modules import ApprovalKind, AuditedObject, Module, NavItem, NavSection

MODULE = Module(
    name="assets",
    title="资产与办公用房",
    models="backend.assets.models",
    permissions=P,
    settings="backend.assets.config:AssetsSettings",
    routes=("backend.assets.admin_api:bp",),
    audit_objects={
        "asset": AuditedObject("资产", name="backend.assets.models:Asset.name"),
    },
    presets={
        "资产管理员": (P.VIEW_ASSETS, P.MANAGE_ASSETS, P.RUN_STOCKTAKE, P.VIEW_SPACE, P.VIEW_REPORT),
        "公物仓管理员": (P.VIEW_ASSETS, P.RUN_WAREHOUSE, P.RECORD_DISPOSAL, P.VIEW_REPORT),
        "办公用房管理": (P.VIEW_SPACE, P.MANAGE_SPACE, P.VIEW_REPORT),
        "财务": (P.VIEW_ASSETS, P.VIEW_REPORT),
    },
)

# ---- H2 space ----
# The office-space register (一房一档), the area standard and room reallocations (调剂). Written
# as a replacement of the declaration above so that each part's block merges on its own.
MODULE = replace(
    MODULE,
    pages=(*MODULE.pages, "backend.assets.pages.space:bp"),
    nav=(
        *MODULE.nav,
        NavSection(
            "办公用房",
            46,
            (
                NavItem("地点与房间", "/console/assets/space/places", P.VIEW_SPACE),
                NavItem("办公用房登记", "/console/assets/space/rooms", P.VIEW_SPACE),
                NavItem("人均面积", "/console/assets/space/per-person", P.VIEW_SPACE),
                NavItem("用房调剂", "/console/assets/space/transfers", P.VIEW_SPACE),
                NavItem("面积标准", "/console/assets/space/standard", P.MANAGE_SETUP),
            ),
        ),
    ),
    audit_labels={
        **MODULE.audit_labels,
        "assets.set_area_standard": "修改办公用房面积标准",
        "assets.set_building_file": "登记楼宇档案",
        "assets.add_space_document": "上传办公用房档案文件",
        "assets.add_inspection": "登记安全检查",
        "assets.import_space": "导入办公用房登记表",
        "assets.transfer_room": "办公用房调剂划转",
    },
    audit_fields={
        **MODULE.audit_fields,
        "grade": "职级",
        "per_person": "人均使用面积",
        "tenure": "权属来源",
        "title_no": "产权证号",
        "land_no": "土地证号",
        "permits": "许可证件",
        "built_year": "建成年份",
        "address": "地址",
        "note": "备注",
        "kind": "类别",
        "title": "标题",
        "size_bytes": "文件大小（字节）",
        "inspected_on": "检查日期",
        "inspector": "检查人",
        "result": "检查结论",
        "findings": "发现问题",
        "rooms_created": "新建房间数",
        "rows": "行数",
        "unit": "使用单位",
        "transfer": "调剂申请",
    },
    audit_values={
        **MODULE.audit_values,
        "grade": "backend.places.service:OfficeGrade",
        "tenure": "backend.assets.models:Tenure",
        "kind": "backend.assets.models:DocumentKind",
        "result": "backend.assets.models:InspectionResult",
    },
    audit_objects={
        **MODULE.audit_objects,
        "area_standard": AuditedObject("面积标准", describe="backend.assets.service.standards:describe_grades"),
        "space_import": AuditedObject("办公用房导入"),
    },
    approval_kinds={
        **MODULE.approval_kinds,
        "assets.room_transfer": ApprovalKind(
            "办公用房调剂申请", {}, "backend.assets.service.transfers:decided", "pages/approvals/detail"
        ),
    },
)
