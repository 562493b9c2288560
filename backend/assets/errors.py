"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")

    # ---- H1 cards ----
    CATEGORY_CODE_INVALID = ("assets.category_code_invalid", 422, "分类编码应为大写字母加偶数位数字，并以上级编码开头")
    CATEGORY_CODE_TAKEN = ("assets.category_code_taken", 409, "分类编码 {code} 已被使用")
    CATEGORY_NAME_INVALID = ("assets.category_name_invalid", 422, "分类名称应为 1 至 60 个字")
    CATEGORY_LIFE_INVALID = ("assets.category_life_invalid", 422, "使用年限应为 0 至 600 个月（0 表示不计提折旧）")
    CATEGORY_IN_USE = ("assets.category_in_use", 409, "该分类下还有启用的下级分类，请先停用下级分类")
    ASSET_NAME_INVALID = ("assets.asset_name_invalid", 422, "资产名称应为 1 至 100 个字，规格型号不超过 100 个字")
    VALUE_INVALID = ("assets.value_invalid", 422, "原值应大于 0 元且不超过 100 亿元（零值资产须在备注中说明来源）")
    PURCHASE_DATE_INVALID = ("assets.purchase_date_invalid", 422, "购置日期不能晚于今天，也不能早于 1950 年")
    LIFE_INVALID = ("assets.life_invalid", 422, "使用年限应为 0 至 600 个月（0 表示不计提折旧）")
    PLACE_NOT_ROOM = ("assets.place_not_room", 422, "存放地点必须是在用的房间，不能是楼宇或楼层")
    CUSTODIAN_INVALID = ("assets.custodian_invalid", 422, "使用人不存在或已离职")
    UNIT_INVALID = ("assets.unit_invalid", 422, "使用单位不存在、已停用或不在您的管理范围内")
    ASSET_LOCKED = ("assets.asset_locked", 409, "资产{status}，不能在卡片上修改单位、地点、使用人或状态")
    STATUS_NOT_EDITABLE = ("assets.status_not_editable", 422, "卡片上只能设为在用、闲置或维修，入仓与处置另有流程")
    IMPORT_INVALID = ("assets.import_invalid", 422, "导入文件有 {count} 处错误，未导入任何资产")
    IMPORT_UNREADABLE = ("assets.import_unreadable", 422, "无法读取导入文件：{reason}")
    OFFICER_NOT_FOUND = ("assets.officer_not_found", 404, "资产管理员不存在")
    OFFICER_PERSON_INVALID = ("assets.officer_person_invalid", 422, "工号不存在或已离职")
