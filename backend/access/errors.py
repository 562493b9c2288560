"""Error codes of gates and visitors: what a gate refuses and why (the same codes online and on
the terminal offline), bad visitor details, invitations and visits, gates, cameras, the blacklist
and staff cars."""

from backend.core.errors import ErrorCode


class AccessError(ErrorCode):
    # ---- refusals at a gate: the screen shows the message ------------------------------------
    PASS_FOREIGN = ("access.pass_foreign", 422, "不是本系统的通行码")
    PASS_TAMPERED = ("access.pass_tampered", 403, "通行码无效，请联系被访人")
    PASS_STALE = ("access.pass_stale", 403, "通行码已刷新，请出示小程序中的最新通行码")
    PASS_NOT_YET_VALID = ("access.pass_not_yet_valid", 403, "尚未到通行时间")
    PASS_EXPIRED = ("access.pass_expired", 403, "通行证已过期")
    PASS_REVOKED = ("access.pass_revoked", 403, "通行证已被撤销")
    PASS_USED_UP = ("access.pass_used_up", 403, "通行次数已用完")
    PASS_WRONG_GATE = ("access.pass_wrong_gate", 403, "此通行证不能从本门通行")
    VISIT_NOT_ACTIVE = ("access.visit_not_active", 403, "本次来访已结束或未获同意")
    VISITOR_BLOCKED = ("access.visitor_blocked", 403, "不能通行，请到门岗登记")
    ALREADY_INSIDE = ("access.already_inside", 403, "已在楼内，请从出口离开后再进入")
    CARD_UNKNOWN = ("access.card_unknown", 403, "未登记的卡，请到门岗登记")
    CARD_NOT_USABLE = ("access.card_not_usable", 403, "此卡已挂失或注销")
    PERSON_LEFT = ("access.person_left", 403, "持卡人已离职")
    PLATE_UNKNOWN = ("access.plate_unknown", 403, "未登记车辆，请等候门岗处理")
    PLATE_OUTSIDE_HOURS = ("access.plate_outside_hours", 403, "不在该车辆允许入场的时段")
    QUOTA_USED_UP = ("access.quota_used_up", 403, "本单位本月车辆入场额度已用完")
    GATE_INACTIVE = ("access.gate_inactive", 403, "本门禁点已停用")

    # ---- visitors' details ---------------------------------------------------------------------
    NAME_INVALID = ("access.name_invalid", 422, "姓名应为 2 到 30 个字")
    ID_NUMBER_INVALID = ("access.id_number_invalid", 422, "身份证号码有误，请核对（含末位校验码）")
    PHONE_INVALID = ("access.phone_invalid", 422, "手机号码应为 11 位数字，以 1 开头")
    PLATE_INVALID = ("access.plate_invalid", 422, "车牌号“{plate}”格式有误")
    WINDOW_INVALID = ("access.window_invalid", 422, "来访时间有误：{problem}")
    BUILDING_INVALID = ("access.building_invalid", 422, "请选择要到访的楼宇")
    COMPANIONS_INVALID = ("access.companions_invalid", 422, "随行人员最多 {most} 人，每人姓名 2 到 30 个字")
    TEXT_TOO_LONG = ("access.text_too_long", 422, "{field}不能超过 {most} 个字")
    BLOCKED = ("access.blocked", 409, "该访客或车辆在黑名单中，不能预约或登记，请联系保卫部门")

    # ---- visits --------------------------------------------------------------------------------
    VISIT_NOT_FOUND = ("access.visit_not_found", 404, "来访记录不存在")
    VISIT_STATE = ("access.visit_state", 409, "来访当前状态为“{state}”，不能{action}")
    LINK_INVALID = ("access.link_invalid", 404, "邀请链接无效、已过期或已被打开过，请联系被访人重新邀请")
    VISITOR_TOKEN_INVALID = ("access.visitor_token_invalid", 401, "访客凭证无效或已过期，请重新打开邀请")
    HOST_NOT_FOUND = ("access.host_not_found", 404, "找不到被访人，请核对姓名和手机号")
    NOT_HOST = ("access.not_host", 403, "只有被访人本人可以办理")
    SCREENING_INVALID = ("access.screening_invalid", 422, "入场筛查设置有误：{problem}")
    SCREENING_FAILED = ("access.screening_failed", 409, "入场筛查未通过：{problem}")

    # ---- gates, cameras, devices ---------------------------------------------------------------
    GATE_NOT_FOUND = ("access.gate_not_found", 404, "门禁点不存在")
    GATE_CODE_INVALID = ("access.gate_code_invalid", 422, "门禁点编号只能由字母、数字、“-”“_”组成，1 到 32 位")
    GATE_CODE_TAKEN = ("access.gate_code_taken", 409, "门禁点编号“{code}”已使用")
    GATE_SETTING_INVALID = ("access.gate_setting_invalid", 422, "门禁点设置有误：{problem}")
    NOT_A_GATE_TERMINAL = ("access.not_a_gate_terminal", 403, "本设备未绑定门禁点")
    CAMERA_REFUSED = ("access.camera_refused", 403, "车牌相机未授权（签名不符或地址不在允许列表）")
    CAMERA_EVENT_INVALID = ("access.camera_event_invalid", 422, "车牌识别事件格式有误：{problem}")
    EVENT_INVALID = ("access.event_invalid", 422, "通行记录有误：{problem}")

    # ---- blacklist, staff cars, guard ---------------------------------------------------------
    BLOCK_EXISTS = ("access.block_exists", 409, "该{kind}已在黑名单中")
    BLOCK_NOT_FOUND = ("access.block_not_found", 404, "黑名单记录不存在")
    VEHICLE_NOT_FOUND = ("access.vehicle_not_found", 404, "车辆登记不存在")
    VEHICLE_REGISTERED = ("access.vehicle_registered", 409, "车牌“{plate}”已登记")
    HOURS_INVALID = ("access.hours_invalid", 422, "允许入场时段有误：{problem}")
    QUOTA_INVALID = ("access.quota_invalid", 422, "月度入场额度应为 0 到 100000 之间的整数")
    ALERT_NOT_FOUND = ("access.alert_not_found", 404, "车辆提醒不存在或已处理")
    REPORT_RANGE_INVALID = ("access.report_range_invalid", 422, "统计区间的截止日期不能早于起始日期，最长 {days} 天")

    # ---- a ----
    GATE_DEVICE_INVALID = ("access.gate_device_invalid", 422, "设备“{device}”不存在或不是门禁控制器")
    GATE_DEVICE_BOUND = ("access.gate_device_bound", 409, "设备“{device}”已绑定门禁点“{gate}”")
    GATE_RELAY_INVALID = (
        "access.gate_relay_invalid",
        422,
        "道闸继电器地址无法识别，应为 sim 或 modbus+tcp://地址:端口?coil=线圈号",
    )
    GATE_PRINTER_INVALID = (
        "access.gate_printer_invalid",
        422,
        "小票打印机地址无法识别，应为 sim、escpos+tcp://地址:端口 或 escpos+usb://厂商号:产品号",
    )
    CAMERA_ADDRESS_INVALID = ("access.camera_address_invalid", 422, "车牌相机地址“{address}”不是有效的 IP 地址")
    # ---- c ----
    VEHICLE_STATE = ("access.vehicle_state", 409, "车辆登记当前状态为“{state}”，不能{action}")
    QUOTA_UNIT_NOT_FOUND = ("access.quota_unit_not_found", 404, "单位不存在")
    # ---- v ----
    REASON_REQUIRED = ("access.reason_required", 422, "请填写原因")
    ANSWERS_INVALID = ("access.answers_invalid", 422, "入场筛查的回答有误：{problem}")
    # ---- f3 ----
    ALERT_STALE = (
        "access.alert_stale",
        409,
        "车辆提醒已超过 {minutes} 分钟，车辆可能已离开，不能再开闸；请让车辆重新驶近识别，有新提醒后再处理",
    )
