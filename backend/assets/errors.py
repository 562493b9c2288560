"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")

    # ---- H2 space ----
    GRADE_INVALID = ("assets.grade_invalid", 422, "职级不正确")
    STANDARD_INVALID = ("assets.standard_invalid", 422, "人均面积标准须大于 0 且不超过 200 平方米")
    ROOM_NOT_FOUND = ("assets.room_not_found", 404, "房间不存在或不在您的管理范围内")
    TRANSFER_NOT_FOUND = ("assets.transfer_not_found", 404, "调剂申请不存在")
    TRANSFER_PENDING = ("assets.transfer_pending", 409, "该房间已有审批中的调剂申请")
    ROOM_ALREADY_HELD = ("assets.room_already_held", 409, "该房间已由本单位使用")
    TRANSFER_STATE = ("assets.transfer_state", 409, "调剂申请{state}，不能撤回")
    REASON_REQUIRED = ("assets.reason_required", 422, "请填写申请理由（2 至 500 字）")
    BUILDING_NOT_FOUND = ("assets.building_not_found", 404, "楼宇不存在或已停用")
    BUILT_YEAR_INVALID = ("assets.built_year_invalid", 422, "建成年份须在 1900 年至今年之间")
    FILE_TEXT_TOO_LONG = ("assets.file_text_too_long", 422, "{field}过长（最多 {most} 字）")
    DOCUMENT_TYPE = ("assets.document_type", 422, "只能上传 PDF、JPG、PNG、XLSX、DOCX、DWG 文件")
    DOCUMENT_TOO_LARGE = ("assets.document_too_large", 422, "文件过大（最大 {most_mb} MB）")
    DOCUMENT_EMPTY = ("assets.document_empty", 422, "文件为空")
    DOCUMENT_TITLE = ("assets.document_title", 422, "请填写文件标题（最多 100 字）")
    DATE_IN_FUTURE = ("assets.date_in_future", 422, "日期不能晚于今天")
    INSPECTOR_REQUIRED = ("assets.inspector_required", 422, "请填写检查人（最多 60 字）")
    IMPORT_ROWS = ("assets.import_rows", 422, "导入文件有 {count} 处错误，未导入任何数据")
    IMPORT_FILE = ("assets.import_file", 422, "无法读取导入文件，请使用 .xlsx 模板")
