"""The approvals module (审批): approval chains any module uses for its requests (kinds declared
in `Module.approval_kinds`), set up and recorded in the console, decided by approvers in the
mini-program."""

from __future__ import annotations

from backend.approvals.permissions import ApprovalsPermission as P
from backend.core.modules import AuditedObject, Module, NavItem, NavSection, NoticeTemplate

MODULE = Module(
    name="approvals",
    title="审批",
    models="backend.approvals.models",
    permissions=P,
    pages=("backend.approvals.pages:bp",),
    nav=(
        NavSection(
            "审批",
            60,
            (
                NavItem("审批记录", "/console/approvals/", P.VIEW_APPROVAL),
                NavItem("审批流程", "/console/approvals/flows", P.MANAGE_FLOW),
                NavItem("审批人", "/console/approvals/approvers", P.MANAGE_FLOW),
            ),
        ),
    ),
    audit_labels={
        "approvals.approve_step": "审批同意",
        "approvals.refuse_step": "审批驳回",
        "approvals.create_flow": "新建审批流程",
        "approvals.add_flow_step": "添加审批步骤",
        "approvals.remove_flow_step": "删除审批步骤",
        "approvals.move_flow_step": "调整审批步骤顺序",
        "approvals.delete_flow": "删除审批流程",
        "approvals.assign_approver": "设置审批人",
        "approvals.withdraw_approver": "撤销审批人",
    },
    audit_fields={
        "state": "审批状态",
        "current_position": "当前步骤",
        "step": "审批步骤",
        "comment": "审批意见",
        "kind": "审批类型",
        "unit": "单位",
        "steps": "流程步骤",
        "person": "人员",
        "role": "审批角色",
    },
    audit_values={"state": "backend.approvals.models:ApprovalState", "role": "backend.approvals.models:ApproverRole"},
    audit_objects={
        "approval": AuditedObject("审批", name="backend.approvals.models:Approval.title"),
        "approval_flow": AuditedObject("审批流程"),
        "approver": AuditedObject("审批人", describe="backend.approvals.service.setup:describe_approvers"),
    },
    settings="backend.approvals.config:ApprovalsSettings",
    notice_templates={
        "approvals.pending": NoticeTemplate("notice_template_id", "backend.approvals.service.notices:render"),
    },
    demo="backend.approvals.demo:seed",
    presets={"单位管理员": (P.VIEW_APPROVAL,)},
)
