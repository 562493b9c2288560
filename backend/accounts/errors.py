"""Error codes of the accounts module."""

from backend.core.errors import ErrorCode


class AccountsError(ErrorCode):
    WECHAT_NOT_CONFIGURED = ("accounts.wechat_not_configured", 503, "微信登录尚未配置，请联系管理员")
    WECHAT_UNAVAILABLE = ("accounts.wechat_unavailable", 503, "微信服务暂时无法访问，请稍后再试")
    WECHAT_CODE_INVALID = ("accounts.wechat_code_invalid", 400, "登录凭证无效或已过期，请重新进入小程序")
    STANDIN_OFF = ("accounts.wechat_standin_off", 404, "演示登录仅在演示环境中可用，请在微信中打开小程序")
    BIND_TICKET_INVALID = ("accounts.bind_ticket_invalid", 401, "绑定已超时，请重新进入小程序")
    PHONE_CODE_INVALID = ("accounts.phone_code_invalid", 400, "手机号授权无效或已过期，请重新授权")
    PHONE_NOT_IN_ROSTER = (
        "accounts.phone_not_in_roster",
        403,
        "未在人员名册中找到该手机号，请联系本单位管理员登记后再绑定",
    )
    PERSON_INACTIVE = ("accounts.person_inactive", 403, "您的人员信息已停用，请联系本单位管理员")
    PERSON_ALREADY_BOUND = (
        "accounts.person_already_bound",
        409,
        "该人员已绑定其他微信，如需更换请联系本单位管理员解绑",
    )
    WECHAT_ALREADY_BOUND = ("accounts.wechat_already_bound", 409, "该微信已绑定其他人员")
    UNIT_NOT_FOUND = ("accounts.unit_not_found", 404, "单位不存在")
    UNIT_CODE_TAKEN = ("accounts.unit_code_taken", 409, "单位编码已存在")
    PERSON_NOT_FOUND = ("accounts.person_not_found", 404, "人员不存在")
    PERSON_LEFT = ("accounts.person_left", 409, "该人员已离职")
    EMPLOYEE_NO_TAKEN = ("accounts.employee_no_taken", 409, "工号 {employee_no} 已登记在名册中")
    PHONE_TAKEN = ("accounts.phone_taken", 409, "该手机号{whose}")
    ID_CARD_TAKEN = ("accounts.id_card_taken", 409, "该身份证号{whose}")
    UNIT_OUT_OF_SCOPE = ("accounts.unit_out_of_scope", 403, "该单位不在您的管理范围内")
    UNIT_DISABLED = ("accounts.unit_disabled", 422, "单位「{name}」已停用，不能再调入或新增人员")
    MOVE_TO_SAME_UNIT = ("accounts.move_to_same_unit", 422, "调入单位与当前单位相同")
    UNIT_HAS_ACTIVE_PEOPLE = (
        "accounts.unit_has_active_people",
        409,
        "该单位（含下级单位）还有 {count} 名在职人员，请先将他们调动到其他单位或办理离职，再停用",
    )
    UNIT_HAS_ENABLED_CHILDREN = ("accounts.unit_has_enabled_children", 409, "请先停用该单位的下级单位：{names}")
    PARENT_UNIT_DISABLED = ("accounts.parent_unit_disabled", 409, "上级单位「{name}」已停用，请先启用上级单位")
    LEAVE_KEY_USED_ELSEWHERE = (
        "accounts.leave_key_used_elsewhere",
        409,
        "这次提交的幂等键已用于另一人员的离职，请刷新页面后重新填写",
    )
    ROSTER_FILE_UNREADABLE = ("accounts.roster_file_unreadable", 422, "无法读取名册文件：{reason}")
    ROSTER_INVALID = ("accounts.roster_invalid", 422, "名册中有 {count} 处错误，未导入任何数据，请修改后重新上传")
    ADMIN_USERNAME_TAKEN = ("accounts.admin_username_taken", 409, "用户名已存在")
    ADMIN_NOT_FOUND = ("accounts.admin_not_found", 404, "管理员不存在")
    WEAK_PASSWORD = ("accounts.weak_password", 422, "{reason}")
    ROLE_NOT_FOUND = ("accounts.role_not_found", 404, "角色不存在")
    ROLE_CODE_TAKEN = ("accounts.role_code_taken", 409, "角色编码已存在")
    UNKNOWN_PERMISSION = ("accounts.unknown_permission", 422, "未知的权限：{permission}")
    PASSWORD_CHANGE_REQUIRED = (
        "accounts.password_change_required",
        403,
        "首次登录或密码被他人重置后，请先修改密码再进行其他操作",
    )
    WRONG_CURRENT_PASSWORD = ("accounts.wrong_current_password", 422, "当前密码不正确")
    PASSWORD_UNCHANGED = ("accounts.password_unchanged", 422, "新密码不能与当前密码相同")
    GRANT_SCOPE_CONFLICT = ("accounts.grant_scope_conflict", 422, "管理范围只能限定到一个单位或一个食堂，不能同时限定")
    DEVICE_CODE_TAKEN = ("accounts.device_code_taken", 409, "设备编号已存在")
    DEVICE_NOT_FOUND = ("accounts.device_not_found", 404, "设备不存在")
