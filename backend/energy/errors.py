"""Error codes of energy: meters and their models, readings and meter events, quotas and budgets,
switching and reports."""

from backend.core.errors import ErrorCode


class EnergyError(ErrorCode):
    METER_NOT_FOUND = ("energy.meter_not_found", 404, "电表不存在")
    METER_CODE_INVALID = ("energy.meter_code_invalid", 422, "表号只能由字母、数字、“-”“_”组成，1 到 32 位")
    METER_CODE_TAKEN = ("energy.meter_code_taken", 409, "表号“{code}”已登记")
    METER_MODEL_NOT_FOUND = ("energy.meter_model_not_found", 404, "电表型号不存在")
    METER_MODEL_INVALID = ("energy.meter_model_invalid", 422, "电表型号的寄存器设置有误：{problem}")
    METER_INVALID = ("energy.meter_invalid", 422, "电表设置有误：{problem}")
    READING_INVALID = ("energy.reading_invalid", 422, "读数有误：{problem}")
    READING_NOT_FOUND = ("energy.reading_not_found", 404, "读数不存在")
    READING_NOT_HELD = ("energy.reading_not_held", 409, "该读数不在待复核状态")
    EVENT_INVALID = ("energy.event_invalid", 422, "换表、清零或变更倍率的记录有误：{problem}")
    QUOTA_INVALID = ("energy.quota_invalid", 422, "定额设置有误：{problem}")
    BUDGET_NOT_FOUND = ("energy.budget_not_found", 404, "预算不存在")
    BUDGET_CHANGE_INVALID = ("energy.budget_change_invalid", 422, "预算调整有误：{problem}")
    REASON_REQUIRED = ("energy.reason_required", 422, "请填写原因（1 到 200 字）")
    SWITCH_NOT_ALLOWED = ("energy.switch_not_allowed", 409, "不能对该电表执行此操作：{problem}")
    CONTACT_INVALID = ("energy.contact_invalid", 422, "能耗联络员设置有误：{problem}")
    TARGET_INVALID = ("energy.target_invalid", 422, "基准或目标设置有误：{problem}")
    REPORT_RANGE_INVALID = ("energy.report_range_invalid", 422, "统计区间有误：{problem}")
    IMPORT_INVALID = ("energy.import_invalid", 422, "导入文件有误：{problem}")
    # ---- readings ----
    READING_BACKWARD_NEEDS_EVENT = (
        "energy.reading_backward_needs_event",
        409,
        "读数倒退不能直接确认：请先记录表底清零、换表或变更倍率，或作废该读数",
    )
    READING_DUPLICATE = ("energy.reading_duplicate", 409, "该表在 {at} 已有读数")
    # ---- budgets ----
    ALERT_NOT_FOUND = ("energy.alert_not_found", 404, "告警不存在")
    CONTACT_NOT_FOUND = ("energy.contact_not_found", 404, "能耗联络员不存在")
    # ---- indicators ----
    INDICATOR_QUERY_INVALID = ("energy.indicator_query_invalid", 422, "指标查询有误：{problem}")
    REPORT_UNIT_NOT_FOUND = ("energy.report_unit_not_found", 404, "单位不存在")

    # ---- console ----
    METER_MODEL_NAME_TAKEN = ("energy.meter_model_name_taken", 409, "电表型号“{name}”已存在")
    NOT_CONTACT = ("energy.not_contact", 403, "您不是该单位的能耗联络员")
