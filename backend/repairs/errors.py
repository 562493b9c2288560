"""Error codes of the repairs module: the report workflow, the catalog, photos of a report, spare
parts and the Open311 endpoint (a photo that is not a usable image is refused by
backend.core.images). Open311 errors carry the HTTP status GeoReport v2 prescribes (403 for a
missing or bad api_key, 404 for what does not exist, 400 for the rest)."""

from backend.core.errors import ErrorCode


class RepairsError(ErrorCode):
    REPORT_NOT_FOUND = ("repairs.report_not_found", 404, "报修单不存在")
    ILLEGAL_TRANSITION = ("repairs.illegal_transition", 409, "报修单当前状态为“{state}”，不能{action}")
    NOT_YOURS = ("repairs.not_allowed", 403, "您不能对这张报修单{action}")
    STALE = ("repairs.changed_meanwhile", 409, "报修单刚被他人处理过，请刷新后重试")
    NOTE_REQUIRED = ("repairs.note_required", 422, "请填写原因或说明")
    CATEGORY_NOT_FOUND = ("repairs.category_not_found", 422, "报修类别不存在或已停用")
    CATEGORY_CODE_TAKEN = ("repairs.category_code_taken", 409, "类别编码已存在")
    LOCATION_NOT_FOUND = ("repairs.location_not_found", 422, "地点不存在或已停用")
    LOCATION_INVALID = ("repairs.location_invalid", 422, "地点层级不正确：楼宇下为楼层，楼层下为房间")
    WHERE_REQUIRED = ("repairs.where_required", 422, "请选择报修地点，或填写具体位置")
    TEAM_NOT_FOUND = ("repairs.team_not_found", 422, "维修班组不存在")
    TEAM_CODE_TAKEN = ("repairs.team_code_taken", 409, "班组编码已存在")
    NOT_A_TECHNICIAN = ("repairs.not_a_technician", 422, "该人员不是此班组的维修人员")
    PHOTO_NOT_USABLE = ("repairs.photo_not_usable", 422, "照片不存在、已被使用或不是您上传的")
    PHOTO_NOT_FOUND = ("repairs.photo_not_found", 404, "照片不存在")
    TOO_MANY_PHOTOS = ("repairs.too_many_photos", 422, "每次最多 9 张照片")
    DUPLICATE_TARGET_INVALID = ("repairs.duplicate_target_invalid", 422, "请选择另一张报修单作为重复对象")
    PART_NOT_FOUND = ("repairs.part_not_found", 422, "备件不存在")
    PART_CODE_TAKEN = ("repairs.part_code_taken", 409, "备件编码已存在")
    PART_SHORT = ("repairs.part_short", 409, "备件“{name}”库存不足（现有 {quantity}{unit}）")


class Open311Error(ErrorCode):
    API_KEY_INVALID = ("open311.api_key_invalid", 403, "api_key 缺失或无效（可能已被吊销）")
    SERVICE_NOT_FOUND = ("open311.service_not_found", 404, "service_code “{code}” 不存在或已停用")
    REQUEST_NOT_FOUND = ("open311.request_not_found", 404, "service_request_id {request_id} 不存在")
    BAD_PARAMETER = ("open311.bad_parameter", 400, "{name}：{problem}")
    KEY_NOT_FOUND = ("open311.key_not_found", 404, "Open311 密钥 #{key_id} 不存在")
    IDEMPOTENCY_KEY_INVALID = (
        "open311.idempotency_key_invalid",
        400,
        "Idempotency-Key 请求头应为 8–64 位字母、数字或 _.:-",
    )
