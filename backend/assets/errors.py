"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")

    # ---- H3 labels, scanning, asset → repair, reports ----
    LABEL_FONT_MISSING = (
        "assets.label_font_missing",
        503,
        "服务器未安装中文字体，无法生成标签；请系统管理员安装中文字体（如 fonts-noto-cjk）后再试",
    )
    LABELS_NONE_CHOSEN = ("assets.labels_none_chosen", 422, "请先选择要打印标签的资产或房间")
    LABELS_TOO_MANY = ("assets.labels_too_many", 422, "一次最多打印 {limit} 个标签，请分批打印")
    LABEL_ROOM_INVALID = ("assets.label_room_invalid", 422, "所选地点不是房间或已停用")
    LABEL_BUILDING_NOT_FOUND = ("assets.label_building_not_found", 404, "楼宇不存在或已停用")
    LABEL_NUMBER_UNKNOWN = ("assets.label_number_unknown", 422, "没有编号为 {number} 的资产")
    SCAN_ROOM_NOT_FOUND = ("assets.scan_room_not_found", 404, "二维码对应的房间不存在或已停用")
    ASSET_GONE = ("assets.asset_gone", 422, "该资产已处置，不能再报修")
