"""Permissions of the approvals module (审批). Deciding is not among them: approvals are
decided by the approver people themselves, in the mini-program, never by a console role."""

from __future__ import annotations

from backend.core.permissions import Permission, Reach


class ApprovalsPermission(Permission):
    VIEW_APPROVAL = "approvals.view_approval", "查看审批记录", Reach.UNIT
    MANAGE_FLOW = "approvals.manage_flow", "管理审批流程与审批人"
