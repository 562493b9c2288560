"""Error codes of EV charging: sites, piles and tags, tariffs, starting and stopping a session
from the mini-program, remote commands and reports."""

from backend.core.errors import ErrorCode


class ChargingError(ErrorCode):
    SITE_NOT_FOUND = ("charging.site_not_found", 404, "充电站点不存在")
    SITE_NAME_TAKEN = ("charging.site_name_taken", 409, "充电站点“{name}”已存在")
    POWER_LIMIT_INVALID = ("charging.power_limit_invalid", 422, "功率上限应为 0（不限）到 100000 千瓦之间的整数")
    PILE_NOT_FOUND = ("charging.pile_not_found", 404, "充电桩不存在或已停用")
    BOX_ID_INVALID = ("charging.box_id_invalid", 422, "桩编号只能由字母、数字、“-”“_”“.”组成，1 到 48 位")
    BOX_ID_TAKEN = ("charging.box_id_taken", 409, "桩编号“{box_id}”已登记")
    CONNECTOR_INVALID = ("charging.connector_invalid", 422, "枪号应为 1 到 {count} 之间的整数")
    PILE_OFFLINE = ("charging.pile_offline", 409, "充电桩“{name}”不在线，请稍后再试")
    PILE_BUSY = ("charging.pile_busy", 409, "该充电枪正在使用或不可用")
    COMMAND_TIMEOUT = ("charging.command_timeout", 504, "充电桩 {seconds} 秒内没有应答，请稍后查看状态")
    COMMAND_REJECTED = ("charging.command_rejected", 409, "充电桩拒绝了该指令（{status}）")
    COMMAND_INVALID = ("charging.command_invalid", 422, "指令参数有误：{problem}")
    TAG_INVALID = ("charging.tag_invalid", 422, "卡号应为 1 到 20 位字母或数字")
    TAG_TAKEN = ("charging.tag_taken", 409, "卡号“{id_tag}”已登记")
    TAG_NOT_FOUND = ("charging.tag_not_found", 404, "充电卡不存在")
    VEHICLE_NOT_CHARGEABLE = ("charging.vehicle_not_chargeable", 409, "车辆“{plate}”不是在用的新能源公务车")
    TARIFF_INVALID = ("charging.tariff_invalid", 422, "电价设置有误：{problem}")
    NO_TARIFF = ("charging.no_tariff", 409, "尚未设置充电电价，暂不能充电")
    BALANCE_TOO_LOW = ("charging.balance_too_low", 409, "一卡通现金余额不足 {minimum}，请先充值")
    ALREADY_CHARGING = ("charging.already_charging", 409, "您已有一笔正在进行的充电，请先结束")
    ARREARS_UNPAID = ("charging.arrears_unpaid", 409, "您有 {amount} 充电欠费未补缴，请先补缴")
    ARREARS_NONE = ("charging.arrears_none", 409, "没有需要补缴的充电欠费")
    NOT_A_DRIVER = ("charging.not_a_driver", 403, "只有在岗驾驶员可以为公务车充电")
    SESSION_NOT_FOUND = ("charging.session_not_found", 404, "充电记录不存在")
    SESSION_NOT_ACTIVE = ("charging.session_not_active", 409, "这次充电已经结束")
    START_NOT_FOUND = ("charging.start_not_found", 404, "启动请求不存在")
    CLIENT_REF_INVALID = ("charging.client_ref_invalid", 422, "请求编号应为 8 到 64 位字母、数字或“-”")
    CLIENT_REF_REUSED = ("charging.client_ref_reused", 409, "该请求编号已用于另一把充电枪的启动")
    REPORT_RANGE_INVALID = ("charging.report_range_invalid", 422, "统计区间的截止日期不能早于起始日期，最长 {days} 天")

    SESSION_STILL_ACTIVE = ("charging.session_still_active", 409, "这次充电尚未结束，不能结算")

    OCPP_SUBPROTOCOL = ("charging.ocpp_subprotocol", 400, "请使用 OCPP 1.6J 子协议（ocpp1.6）连接")
    OCPP_UNAUTHORIZED = ("charging.ocpp_unauthorized", 401, "充电桩编号或密码不正确")
    INCIDENT_NOT_FOUND = ("charging.incident_not_found", 404, "异常记录不存在")
    INCIDENT_RESOLVED = ("charging.incident_resolved", 409, "这条异常已经处理过了")
    RESOLUTION_NOTE_INVALID = ("charging.resolution_note_invalid", 422, "请填写处理说明，最多 {max} 字")
    VEHICLE_NOT_DRIVABLE = ("charging.vehicle_not_drivable", 403, "车辆“{plate}”当前没有派给您的出车任务，不能为其充电")
    CLOSE_REASON_INVALID = ("charging.close_reason_invalid", 422, "请填写结束原因，最多 {max} 字")
    LEAVE_SESSION_ACTIVE = ("charging.leave_session_active", 409, "该人员有进行中的充电（#{session_id}），请先结束")
    LEAVE_ARREARS_UNPAID = ("charging.leave_arrears_unpaid", 409, "该人员有 {amount} 充电欠费未补缴，请先补缴再办离职")
