"""The places module: the tree of places building → floor → room that other modules file things
against (repair reports today). Its console page and API are, for now, those of the repairs
module (/console/repairs/locations, under the repairs permissions that roles already hold)."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module

MODULE = Module(
    name="places",
    title="地点",
    models="backend.places.models",
    audit_labels={
        "places.create_place": "新增地点",
        "places.set_room_facts": "登记房间面积与用途",
        "places.clear_room_facts": "移出办公用房登记",
        "places.add_occupant": "登记房间使用人",
        "places.remove_occupant": "移除房间使用人",
        "places.set_occupant_grade": "修改使用人职级",
    },
    audit_fields={
        "kind": "类型",
        "full_name": "完整名称",
        "parent_id": "上级地点编号",
        "use_area": "使用面积",
        "building_area": "建筑面积",
        "use": "用途",
        "unit": "使用单位",
        "person": "使用人",
        "grade": "职级",
        "since": "入驻日期",
        "person_id": "人员编号",
    },
    audit_values={
        "kind": "backend.places.models:PlaceKind",
        "use": "backend.places.models:RoomUse",
        "grade": "backend.places.models:OfficeGrade",
    },
    audit_objects={"place": AuditedObject("地点", name="backend.places.models:Place.full_name")},
    demo="backend.places.demo:seed",
)
