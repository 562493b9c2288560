"""Error codes of the places module."""

from backend.core.errors import ErrorCode


class PlacesError(ErrorCode):
    PLACE_NOT_FOUND = ("places.place_not_found", 422, "地点不存在或已停用")
    PLACE_INVALID = ("places.place_invalid", 422, "地点层级不正确：楼宇下为楼层，楼层下为房间")
