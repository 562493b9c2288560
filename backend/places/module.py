"""The places module: the tree of places building → floor → room that other modules file things
against (repair reports today). Its console page and API are, for now, those of the repairs
module (/console/repairs/locations, under the repairs permissions that roles already hold)."""

from __future__ import annotations

from backend.core.modules import Module

MODULE = Module(
    name="places",
    title="地点",
    models="backend.places.models",
    audit_labels={"places.create_place": "新增地点"},
    demo="backend.places.demo:seed",
)
