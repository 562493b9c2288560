"""Error codes of the official-cars module: the fleet's records, requests, dispatch, trips,
quotas, tracks, compliance flags, sealing and upkeep."""

from backend.core.errors import ErrorCode


class FleetError(ErrorCode):
    PLATE_INVALID = (
        "fleet.plate_invalid",
        422,
        "车牌号“{plate}”格式不正确：应为省份简称 + 发证机关字母 + 5 位（新能源 6 位）号码，如 浙A12345、浙AD12345",
    )
    PLATE_TAKEN = ("fleet.plate_taken", 409, "车牌号“{plate}”已登记")
    VEHICLE_NOT_FOUND = ("fleet.vehicle_not_found", 404, "车辆不存在")
    SEATS_INVALID = ("fleet.seats_invalid", 422, "座位数应在 2–60 之间")
    DRIVER_NOT_FOUND = ("fleet.driver_not_found", 404, "驾驶员不存在")
    DRIVER_EXISTS = ("fleet.driver_exists", 409, "该人员已登记为驾驶员")
    LICENCE_EXPIRED = ("fleet.licence_expired", 409, "驾驶员 {name} 的驾驶证已于 {day} 过期")
    LICENCE_UNFIT = ("fleet.licence_unfit", 409, "驾驶员 {name} 的准驾车型 {licence} 不能驾驶{vehicle_type}")
    DRIVER_ON_LEAVE = ("fleet.driver_on_leave", 409, "驾驶员 {name} 在该时段请假（{reason}）")
    LEAVE_WINDOW_INVALID = ("fleet.leave_window_invalid", 422, "请假结束时间应晚于开始时间")
    COMPANY_NOT_FOUND = ("fleet.company_not_found", 404, "租赁公司不存在或已停用")
    COMPANY_NAME_TAKEN = ("fleet.company_name_taken", 409, "租赁公司“{name}”已登记")
    NO_RENTAL_RATE = ("fleet.no_rental_rate", 409, "租赁公司“{company}”没有{vehicle_type}的合同价格")
    RATE_INVALID = ("fleet.rate_invalid", 422, "价格应为不小于 0 的金额")
    PURPOSE_INVALID = ("fleet.purpose_invalid", 422, "用车事由分类不正确")
    REQUEST_NOT_FOUND = ("fleet.request_not_found", 404, "用车申请不存在")
    WINDOW_INVALID = ("fleet.window_invalid", 422, "用车结束时间应晚于开始时间")
    WINDOW_IN_PAST = ("fleet.window_in_past", 422, "用车开始时间已过，请重新选择")
    WINDOW_TOO_FAR = ("fleet.window_too_far", 422, "只能申请 90 天以内的用车")
    WINDOW_TOO_LONG = ("fleet.window_too_long", 422, "一次用车最长 {days} 天，请分多次申请")
    PASSENGERS_INVALID = ("fleet.passengers_invalid", 422, "乘车人数应在 1–{most} 之间")
    PASSENGERS_OVER_SEATS = (
        "fleet.passengers_over_seats",
        409,
        "乘车人数 {passengers} 超过车辆 {plate} 可载乘客 {seats} 人（核载人数含驾驶员）",
    )
    REQUEST_STATE = ("fleet.request_state", 409, "用车申请当前为“{state}”，不能{action}")
    NOT_YOUR_REQUEST = ("fleet.not_your_request", 404, "用车申请不存在")
    VEHICLE_UNAVAILABLE = ("fleet.vehicle_unavailable", 409, "车辆 {plate} 当前为“{status}”，不能派车")
    INSPECTION_OVERDUE = ("fleet.inspection_overdue", 409, "车辆 {plate} 的年检已于 {day} 到期，不能派车")
    VEHICLE_BUSY = (
        "fleet.vehicle_busy",
        409,
        "车辆 {plate} 在该时段已有行程 #{trip_id}（{starts}–{ends}，含间隔），不能重复派车",
    )
    DRIVER_BUSY = (
        "fleet.driver_busy",
        409,
        "驾驶员 {name} 在该时段已有行程 #{trip_id}（{starts}–{ends}，含间隔），不能重复派车",
    )
    SEALED_PERIOD = ("fleet.sealed_period", 409, "该时段处于封存期“{name}”，车辆 {plate} 不是值班车，封存期间不能派出")
    SEALED_NEEDS_EMERGENCY = (
        "fleet.sealed_needs_emergency",
        409,
        "该时段处于封存期“{name}”，这份申请未经封存期应急审批，不能派车；请申请人重新提交申请",
    )
    DISPATCH_TARGET = ("fleet.dispatch_target", 422, "请选择车辆和驾驶员，或选择租赁公司")
    RETURN_IN_FUTURE = ("fleet.return_in_future", 422, "还车时间不能晚于现在")
    REQUEST_TEXT_REQUIRED = ("fleet.request_text_required", 422, "请填写用车事由、上车地点和目的地")
    REQUEST_ENDED = ("fleet.request_ended", 409, "这份申请的用车时间已过，不能再派车")
    ESTIMATE_REQUIRED = ("fleet.estimate_required", 422, "请填写预估里程（1–5000 公里），用于核对单位用车额度")
    SEALED_NO_EMERGENCY_STEP = (
        "fleet.sealed_no_emergency_step",
        409,
        "该时段处于封存期“{name}”，须经封存期应急审批，但审批流程中没有这一步；请联系车管中心设置后再申请",
    )
    TRIP_NOT_FOUND = ("fleet.trip_not_found", 404, "行程不存在")
    TRIP_STATE = ("fleet.trip_state", 409, "行程当前为“{state}”，不能{action}")
    NOT_YOUR_TRIP = ("fleet.not_your_trip", 404, "行程不存在")
    ODOMETER_BACKWARDS = ("fleet.odometer_backwards", 422, "里程表读数 {reading} 公里小于 {floor} 公里，不能倒退")
    SPEED_IMPLAUSIBLE = (
        "fleet.speed_implausible",
        422,
        "行驶 {km} 公里用时 {minutes} 分钟，平均车速不合理，请核对里程表读数",
    )
    COST_INVALID = ("fleet.cost_invalid", 422, "费用应为 0–{most} 元之间的金额")
    RATING_INVALID = ("fleet.rating_invalid", 422, "评分应为 1–5 分")
    QUOTA_YEAR_INVALID = ("fleet.quota_year_invalid", 422, "年度应在 {first}–{last} 之间")
    QUOTA_AMOUNT_INVALID = ("fleet.quota_amount_invalid", 422, "额度应为大于 0 的金额")
    QUOTA_SHORT = ("fleet.quota_short", 409, "{unit} {year} 年剩余额度 {left} 元，不足调出 {amount} 元")
    QUOTA_KEY_REUSED = ("fleet.quota_key_reused", 409, "这张调剂表单已用于另一笔调剂，请刷新页面后重新填写")
    QUOTA_SAME_UNIT = ("fleet.quota_same_unit", 422, "调出与调入单位不能相同")
    UNIT_NOT_FOUND = ("fleet.unit_not_found", 404, "单位不存在")
    GPX_INVALID = ("fleet.gpx_invalid", 422, "文件不是有效的 GPX 轨迹：{problem}")
    GPX_TOO_LARGE = ("fleet.gpx_too_large", 413, "GPX 文件超过 {most} MB")
    POSITIONS_INVALID = ("fleet.positions_invalid", 422, "第 {index} 个定位点无效：{problem}")
    GEOFENCE_INVALID = ("fleet.geofence_invalid", 422, "电子围栏无效：{problem}")
    FLAG_NOT_FOUND = ("fleet.flag_not_found", 404, "督查问题不存在")
    FLAG_CLOSED = ("fleet.flag_closed", 409, "该督查问题已说明关闭")
    EXPLANATION_REQUIRED = ("fleet.explanation_required", 422, "请填写情况说明")
    SEAL_WINDOW_INVALID = ("fleet.seal_window_invalid", 422, "封存结束时间应晚于开始时间")
    SEAL_OVERLAPS = ("fleet.seal_overlaps", 409, "与已有封存期“{name}”重叠")
    PROVIDER_NOT_FOUND = ("fleet.provider_not_found", 404, "定点单位不存在")
    UPKEEP_INVALID = ("fleet.upkeep_invalid", 422, "{problem}")
    SEATS_FOR_TYPE = ("fleet.seats_for_type", 422, "{vehicle_type}的座位数应在 {least}–{most} 之间")
    LEAVE_NOT_FOUND = ("fleet.leave_not_found", 404, "请假记录不存在")
    PROVIDER_NAME_TAKEN = ("fleet.provider_name_taken", 409, "定点单位“{name}”已登记")
    NO_COST_RATE = ("fleet.no_cost_rate", 409, "尚未设定{vehicle_type}的每公里费率，请车管中心设定后再收车")
    REQUEST_CONFIRMED = ("fleet.request_confirmed", 409, "这次用车已经评价过了")
    TRIP_TIME_INVALID = ("fleet.trip_time_invalid", 422, "收车时间应晚于出车时间 {started}")
    TRACK_NEEDS_VEHICLE = ("fleet.track_needs_vehicle", 409, "租赁车辆的行程没有本中心的车辆，不能导入轨迹")
    DEVICE_NOT_PLATFORM = ("fleet.device_not_platform", 403, "该设备不是车载终端平台，不能上传车辆定位")
    SEAL_CALENDAR_UNKNOWN = (
        "fleet.seal_calendar_unknown",
        422,
        "{year} 年的法定节假日安排尚未收录，请手工设定封存期",
    )
    SEAL_NAME_INVALID = ("fleet.seal_name_invalid", 422, "请填写封存期名称（不超过 50 字）")
    SEAL_TOO_LONG = ("fleet.seal_too_long", 422, "一次封存最长 {days} 天")
    SEAL_NOT_FOUND = ("fleet.seal_not_found", 404, "封存期不存在")
    DRIVER_INACTIVE = ("fleet.driver_inactive", 409, "驾驶员 {name} 已停用，不能派车")
    DISPATCH_KEY_USED = ("fleet.dispatch_key_used", 409, "该派车表单已用于另一次派车，请刷新页面后重新提交")
    DISPATCH_KEY_INVALID = ("fleet.dispatch_key_invalid", 422, "派车表单已失效，请刷新页面后重新提交")
    RENTAL_PLATE_INVALID = ("fleet.rental_plate_invalid", 422, "租赁车辆车牌号最多 8 个字符")
