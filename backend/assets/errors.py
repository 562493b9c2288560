"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")

    # ---- H4 公物仓 and disposals ----
    WAREHOUSE_NOT_FOUND = ("assets.warehouse_not_found", 404, "公物仓不存在或已停用")
    NOT_MOVABLE_IN = ("assets.not_movable_in", 409, "只有在用或闲置的资产可以入公物仓（当前：{status}）")
    WAREHOUSE_PHOTOS_TOO_MANY = ("assets.warehouse_photos_too_many", 422, "入仓照片最多 {most} 张")
    ITEM_NOT_FOUND = ("assets.item_not_found", 404, "公物仓中没有这件物品，或已出仓")
    ITEM_TAKEN = ("assets.item_taken", 409, "该物品已被其他单位申请")
    PURPOSE_REQUIRED = ("assets.purpose_required", 422, "请填写用途（2 至 300 字）")
    RETURN_DUE_INVALID = ("assets.return_due_invalid", 422, "临时借用须填写归还日期：今天之后、{days} 天以内")
    RETURN_DUE_FOR_LOAN_ONLY = ("assets.return_due_for_loan_only", 422, "调剂领用不填写归还日期")
    REQUEST_PLACE_INVALID = ("assets.request_place_invalid", 422, "存放地点须是在用的房间")
    REQUEST_CUSTODIAN_INVALID = ("assets.request_custodian_invalid", 422, "使用人不存在或已离职")
    WAREHOUSE_REQUEST_NOT_FOUND = ("assets.warehouse_request_not_found", 404, "公物仓申请不存在")
    WAREHOUSE_REQUEST_STATE = ("assets.warehouse_request_state", 409, "该申请{state}，不能{action}")
    NOT_DISPOSABLE = ("assets.not_disposable", 409, "{status}的资产不能申请处置")
    ASSET_ON_LOAN = ("assets.asset_on_loan", 409, "该资产属于公物仓，正在借出，不能申请处置")
    DISPOSAL_NOT_FOUND = ("assets.disposal_not_found", 404, "处置申请不存在")
    DISPOSAL_STATE = ("assets.disposal_state", 409, "该处置申请{state}，不能{action}")
    DISPOSAL_REASON_REQUIRED = ("assets.disposal_reason_required", 422, "请填写处置理由（2 至 500 字）")
    DISPOSAL_DOCUMENT_REQUIRED = ("assets.disposal_document_required", 422, "请填写处置批复或凭证文号")
    DISPOSAL_RECIPIENT_REQUIRED = ("assets.disposal_recipient_required", 422, "请填写接收单位（{method}）")
    DISPOSAL_PROCEEDS_INVALID = (
        "assets.disposal_proceeds_invalid",
        422,
        "拍卖须填写成交金额（0 至 1 亿元）；其他处置方式不填金额",
    )
