"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")
