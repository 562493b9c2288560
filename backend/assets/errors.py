"""Error codes of the assets module: cards and imports, QR codes, the 公物仓, disposals,
stock-takes and the office-space register."""

from backend.core.errors import ErrorCode


class AssetsError(ErrorCode):
    ASSET_NOT_FOUND = ("assets.asset_not_found", 404, "资产不存在")
    CATEGORY_NOT_FOUND = ("assets.category_not_found", 404, "资产分类不存在或已停用")
    NOT_ASSET_OFFICER = ("assets.not_asset_officer", 403, "您不是该单位的资产管理员")
    QR_FOREIGN = ("assets.qr_foreign", 422, "这不是本平台的资产或房间二维码")
    QR_INVALID = ("assets.qr_invalid", 422, "二维码内容不完整或已损坏，无法识别")
    # ---- H5 stock-taking ----
    STOCKTAKE_NOT_FOUND = ("assets.stocktake_not_found", 404, "盘点任务不存在")
    STOCKTAKE_TITLE_INVALID = ("assets.stocktake_title_invalid", 422, "请填写盘点任务名称（2 到 100 个字）")
    STOCKTAKE_SCOPE_REQUIRED = ("assets.stocktake_scope_required", 422, "请选择要盘点的单位或楼宇（至少一项）")
    STOCKTAKE_UNIT_NOT_FOUND = ("assets.stocktake_unit_not_found", 404, "所选单位不存在")
    STOCKTAKE_NOT_BUILDING = ("assets.stocktake_not_building", 422, "请选择一座楼宇：楼层和房间不能作为盘点范围")
    STOCKTAKE_CHECKERS_INVALID = ("assets.stocktake_checkers_invalid", 422, "请填写 1 到 {most} 名盘点人的工号")
    STOCKTAKE_EMPTY = ("assets.stocktake_empty", 422, "所选范围内没有需要盘点的房间和资产")
    STOCKTAKE_CLOSED = ("assets.stocktake_closed", 409, "盘点任务已结束，不能再扫码、提交或结束")
    NOT_STOCKTAKE_CHECKER = ("assets.not_stocktake_checker", 403, "您不是该盘点任务的盘点人")
    ROOM_NOT_IN_STOCKTAKE = ("assets.room_not_in_stocktake", 404, "该房间不在本次盘点范围内")
    ROOM_ALREADY_SUBMITTED = ("assets.room_already_submitted", 409, "该房间已提交盘点结果，不能再扫码")
    ROOM_CODE_EXPECTED = ("assets.room_code_expected", 422, "这是资产标签，请先扫描房间门口的房间二维码")
    ASSET_CODE_EXPECTED = ("assets.asset_code_expected", 422, "这是房间二维码，请扫描资产标签")
    SCAN_CODE_INVALID = ("assets.scan_code_invalid", 422, "扫码内容为空或过长（最多 {most} 个字符）")
    FINDING_NOT_FOUND = ("assets.finding_not_found", 404, "盘点差异不存在")
    FINDING_RESOLVED = ("assets.finding_resolved", 409, "该差异已处理过了")
    RESOLUTION_INVALID = ("assets.resolution_invalid", 422, "“{kind}”不能按“{resolution}”处理")
    RESOLUTION_NOTE_TOO_LONG = ("assets.resolution_note_too_long", 422, "处理说明最多 300 个字")
    STOCKTAKE_ASSET_LOCKED = (
        "assets.stocktake_asset_locked",
        409,
        "该资产{status}，不能按盘点结果更正，请在相应流程中办理",
    )

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

    # ---- H4 公物仓 and disposals ----
    WAREHOUSE_NOT_FOUND = ("assets.warehouse_not_found", 404, "公物仓不存在或已停用")
    WAREHOUSE_NAME_INVALID = ("assets.warehouse_name_invalid", 422, "公物仓名称应为 2 到 60 个字")
    WAREHOUSE_NAME_TAKEN = ("assets.warehouse_name_taken", 409, "已有名为“{name}”的公物仓")
    WAREHOUSE_PLACE_INVALID = ("assets.warehouse_place_invalid", 422, "公物仓应设在一栋楼宇或一个房间，不能是楼层")
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
    ASSET_ON_LOAN = ("assets.asset_on_loan", 409, "该资产是公物仓借出的物品，归还入仓前不能改动、移入公物仓或处置")
    DISPOSAL_NOT_FOUND = ("assets.disposal_not_found", 404, "处置申请不存在")
    DISPOSAL_STATE = ("assets.disposal_state", 409, "该处置申请{state}，不能{action}")
    DISPOSAL_REASON_REQUIRED = ("assets.disposal_reason_required", 422, "请填写处置理由（2 至 500 字）")
    DISPOSAL_DOCUMENT_REQUIRED = ("assets.disposal_document_required", 422, "请填写处置批复或凭证文号")
    DISPOSAL_RECIPIENT_REQUIRED = ("assets.disposal_recipient_required", 422, "请填写接收单位（{method}）")
    DISPOSAL_PROCEEDS_INVALID = (
        "assets.disposal_proceeds_invalid",
        422,
        "拍卖须填写成交金额（0 至 1 亿元），报废可填写残值收入（0 至 1 亿元）；捐赠、调拨不填金额",
    )

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

    # ---- fix fc ----
    ASSET_VALUE_LOCKED = (
        "assets.asset_value_locked",
        409,
        "资产{status}，卡片上只能更正名称、规格型号和备注，不能修改原值、购置日期、使用年限或分类",
    )
    STOCKTAKE_ASSET_OUT_OF_SCOPE = (
        "assets.stocktake_asset_out_of_scope",
        403,
        "该资产属于您管理范围以外的单位，不能在盘点中更正其卡片，请由其所属单位处理",
    )
    FINDING_OUTDATED = (
        "assets.finding_outdated",
        409,
        "该资产在盘点开始后已调整过单位、房间或状态，这条差异已过时，不能再据此更正卡片，请核实现状后处理",
    )
    STOCKTAKE_CHECKER_OUTSIDE = (
        "assets.stocktake_checker_outside",
        422,
        "盘点人 {numbers} 不属于所盘点的单位，也不是该单位的资产管理员",
    )
    IMPORT_CHANGED = (
        "assets.import_changed",
        409,
        "检查文件后，文件中的{what}已有变动（停用、撤销或离职），未导入任何资产，请重新导入",
    )
    # ---- fix fb ----
    CLIENT_REF_REUSED = (
        "assets.client_ref_reused",
        409,
        "该提交编号已用于另一份申请（{number}），请刷新页面后重新提交",
    )
    ITEM_NOT_HELD = ("assets.item_not_held", 409, "公物仓物品已不由该申请占用或已不在仓（{reason}），不能办理")
    LOAN_NOT_OUT = ("assets.loan_not_out", 409, "该物品已不在借用单位使用（{reason}），不能登记归还")
    REQUEST_PLACE_NOT_UNITS = (
        "assets.request_place_not_units",
        422,
        "存放地点须是申请单位（或其下级单位）使用的房间，或空置的房间",
    )
    REQUEST_CUSTODIAN_NOT_UNITS = (
        "assets.request_custodian_not_units",
        422,
        "使用人须是申请单位（或其下级单位）的在职人员",
    )
    ITEM_HELD_BY_REQUEST = ("assets.item_held_by_request", 409, "该物品正被申请 {request_no} 占用，不能出仓")
    TAKE_OUT_NOTE_TOO_LONG = ("assets.take_out_note_too_long", 422, "出仓说明最多 {most} 字")
    # ---- fix fa ----
    ROOM_NOT_VACANT = ("assets.room_not_vacant", 409, "该房间由其他单位使用，只能申请空置房间；须待其单位腾退后再申请")
    ROOM_HAS_OCCUPANTS = ("assets.room_has_occupants", 409, "该房间仍登记有 {count} 名使用人，须先移除后才能调剂")
    ROOM_HAS_ASSETS = ("assets.room_has_assets", 409, "该房间内仍有其他单位的资产 {count} 件，须由其单位移出后才能调剂")
