"""Tables of the places module: the tree of places building → floor → room (楼宇 → 楼层 → 房间)
that other modules file things against (a repair report today, the office-rooms ledger later)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class PlaceKind(LabelledEnum):
    BUILDING = "building", "楼宇"
    FLOOR = "floor", "楼层"
    ROOM = "room", "房间"


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
