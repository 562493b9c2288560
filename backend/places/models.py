"""Tables of the places module: the tree of places building → floor → room (楼宇 → 楼层 → 房间)
that other modules file things against (repair reports, assets, the office-space register), with
each room's areas, use, holding unit and occupants."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class PlaceKind(LabelledEnum):
    BUILDING = "building", "楼宇"
    FLOOR = "floor", "楼层"
    ROOM = "room", "房间"


class RoomUse(LabelledEnum):
    """The use of a room in the office-space standard's terms."""

    OFFICE = "office", "办公室"
    SERVICE = "service", "服务用房"
    EQUIPMENT = "equipment", "设备用房"
    ANCILLARY = "ancillary", "附属用房"


class OfficeGrade(LabelledEnum):
    """An occupant's grade, as the office-space standard for city-level bodies ranks it."""

    CITY_CHIEF = "city_chief", "市级正职"
    CITY_DEPUTY = "city_deputy", "市级副职"
    BUREAU_CHIEF = "bureau_chief", "局级正职"
    BUREAU_DEPUTY = "bureau_deputy", "局级副职"
    BELOW_BUREAU = "below_bureau", "局级以下"


class Place(Model):
    """A place in the tree building → floor → room.

    `path` is the chain of ids from the building ("/3/17/52/"), so "everything in this building"
    is a prefix match."""

    id = fields.IntField(primary_key=True)
    parent = fields.ForeignKeyField("houqin.Place", related_name="children", null=True, on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(PlaceKind, max_length=16)
    name = fields.CharField(max_length=100)
    full_name = fields.CharField(max_length=300)
    path = fields.CharField(max_length=255, db_index=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "places_place"


class RoomFacts(Model):
    """What the office-space register knows of a room: its areas in hundredths of a square metre
    (使用面积, 建筑面积), its use and the unit that holds it (none while it is vacant)."""

    id = fields.IntField(primary_key=True)
    place = fields.OneToOneField("houqin.Place", related_name="room_facts", on_delete=fields.CASCADE)
    use_area_hundredths = fields.IntField()
    building_area_hundredths = fields.IntField(null=True)
    room_use = fields.CharEnumField(RoomUse, max_length=16)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="rooms", null=True, on_delete=fields.RESTRICT)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "places_room"


class PlaceOccupant(Model):
    """A person who works in a room, with the grade the area standard counts them at."""

    id = fields.IntField(primary_key=True)
    place = fields.ForeignKeyField("houqin.Place", related_name="occupants", on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("houqin.Person", related_name="rooms", on_delete=fields.RESTRICT)
    grade = fields.CharEnumField(OfficeGrade, max_length=16)
    since = fields.DateField()

    class Meta:
        table = "places_occupant"
        unique_together = (("place", "person"),)
