"""Error codes of the approvals module: a decision refused (and why), and the setting up of flows
and approvers."""

from backend.core.errors import ErrorCode


class ApprovalsError(ErrorCode):
    APPROVAL_NOT_FOUND = ("approvals.approval_not_found", 404, "审批不存在")
    CANCELLED = ("approvals.cancelled", 409, "申请人已撤回申请，不能再审批")
    ALREADY_DECIDED = ("approvals.already_decided", 409, "审批已结束（{state}），不能再审批")
    NOT_CURRENT_STEP = (
        "approvals.not_current_step",
        409,
        "现在审批的是第 {current} 步“{title}”，不能审批第 {position} 步",
    )
    STEP_DECIDED = ("approvals.step_decided", 409, "第 {position} 步已由{name}审批（{state}）")
    NOT_APPROVER = ("approvals.not_approver", 403, "您不是本申请单位的{role}，不能审批此步")
    OWN_REQUEST = ("approvals.own_request", 403, "不能审批自己提交的申请")
    TWO_STEPS = ("approvals.two_steps", 403, "您已审批过此申请的另一步，同一人不能审批两步")
    COMMENT_REQUIRED = ("approvals.comment_required", 422, "驳回时请填写意见")
    COMMENT_TOO_LONG = ("approvals.comment_too_long", 422, "审批意见最多 500 字")
    ALREADY_STARTED = ("approvals.already_started", 409, "该申请已提交审批")
    NO_PENDING_APPROVAL = ("approvals.no_pending_approval", 409, "该申请没有审批中的审批")
    KIND_NOT_FOUND = ("approvals.kind_not_found", 404, "审批类型不存在")
    UNIT_NOT_FOUND = ("approvals.unit_not_found", 422, "单位不存在")
    PERSON_NOT_FOUND = ("approvals.person_not_found", 422, "工号为 {employee_no} 的在职人员不存在")
    APPROVER_NOT_FOUND = ("approvals.approver_not_found", 404, "审批人不存在")
    APPROVER_EXISTS = ("approvals.approver_exists", 409, "该人员已是此单位的{role}")
    FLOW_NOT_FOUND = ("approvals.flow_not_found", 404, "审批流程不存在")
    FLOW_EXISTS = ("approvals.flow_exists", 409, "该单位已有此类审批的流程")
    STEP_NOT_FOUND = ("approvals.step_not_found", 404, "流程步骤不存在")
    CONDITION_UNKNOWN = ("approvals.condition_unknown", 422, "此类审批没有“{condition}”这个条件")
    TOO_MANY_STEPS = ("approvals.too_many_steps", 422, "一个流程最多 {limit} 步")
