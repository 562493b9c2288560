"""The places module: the tree of places building → floor → room that other modules file things
against (repair reports today). Its console page and API are, for now, those of the repairs
module (/console/repairs/locations, under the repairs permissions that roles already hold)."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module

MODULE = Module(
    name="places",
    title="地点",
    models="backend.places.models",
    audit_labels={"places.create_place": "新增地点"},
    audit_fields={"kind": "类型", "full_name": "完整名称", "parent_id": "上级地点编号"},
    audit_values={"kind": "backend.places.models:PlaceKind"},
    audit_objects={"place": AuditedObject("地点", name="backend.places.models:Place.full_name")},
    demo="backend.places.demo:seed",
)
