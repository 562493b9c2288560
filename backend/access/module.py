"""Gates and visitors (门禁与访客): invitations and visitors' requests, the guard post's walk-ins and
entry screening, signed QR passes checked at the gate even offline, staff cards, vehicle plates,
who is inside each building, the blacklist and the purge of visitors' personal data."""

from __future__ import annotations

from backend.access.permissions import AccessPermission as P
from backend.core.modules import AuditedObject, Module, NoticeTemplate

MODULE = Module(
    name="access",
    title="门禁与访客",
    models="backend.access.models",
    permissions=P,
    settings="backend.access.config:AccessSettings",
    # ---- v ----
    audit_labels={
        "access.block": "列入黑名单",
        "access.lift_block": "解除黑名单",
        "access.set_screening": "设置入场筛查",
        "access.register_walk_in": "门岗登记访客",
        "access.confirm_by_phone": "电话确认访客",
        "access.revoke_visit": "撤销来访",
        "access.unmask_visitor": "查看访客完整信息",
    },
    audit_fields={
        "value": "内容",
        "revoked": "撤销的来访数",
        "enabled": "已开启",
        "questions": "问题",
        "measurement": "测量",
        "registrations": "登记项目",
        "visitor_name": "访客",
        "host_id": "被访人",
        "fields": "查看的信息",
        "state": "状态",
    },
    audit_values={"kind": "backend.access.models:BlockKind", "state": "backend.access.models:VisitState"},
    audit_objects={
        "visit": AuditedObject("来访", name="backend.access.models:Visit.code"),
        "block": AuditedObject("黑名单", name="backend.access.models:Block.value_masked"),
        "screening": AuditedObject("入场筛查"),
    },
    notice_templates={
        "access.visit": NoticeTemplate("notice_template_id", "backend.access.service.notices:render_visit"),
    },
    jobs="backend.access.jobs",
)
