"""Error codes of the places module."""

from backend.core.errors import ErrorCode


class PlacesError(ErrorCode):
    PLACE_NOT_FOUND = ("places.place_not_found", 422, "地点不存在或已停用")
    PLACE_INVALID = ("places.place_invalid", 422, "地点层级不正确：楼宇下为楼层，楼层下为房间")

    # ---- rooms in the office-space register (issue 17) ----
    NOT_A_ROOM = ("places.not_a_room", 422, "所选地点不是房间")
    AREA_INVALID = ("places.area_invalid", 422, "面积必须大于 0，建筑面积不小于使用面积")
    NOT_IN_REGISTER = ("places.not_in_register", 422, "该房间尚未登记面积和用途")
    UNIT_INVALID = ("places.unit_invalid", 422, "单位不存在或已停用")
    PERSON_INVALID = ("places.person_invalid", 422, "人员不存在或已离职")
    OCCUPANT_EXISTS = ("places.occupant_exists", 409, "此人已登记在该房间")
    OCCUPANT_NOT_FOUND = ("places.occupant_not_found", 404, "此人未登记在该房间")
    NAME_INVALID = ("places.name_invalid", 422, "名称不能为空，且不超过 100 个字")

    # ---- fix fa ----
    OCCUPANT_HAS_OFFICE = (
        "places.occupant_has_office",
        409,
        "{person}已登记在办公室 {room}，每人只能占用一间办公室，请先从该房间移除",
    )
    SINCE_IN_FUTURE = ("places.since_in_future", 422, "入驻日期不能晚于今天")
