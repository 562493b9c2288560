"""How a module declares the kinds of request it has approved: a kind is named after its module,
and the function told of the outcome is a reference the app resolves when it is built."""

from __future__ import annotations

import pytest

from backend import modules as module_list
from backend.core.modules import ApprovalKind, Module, Platform, references

TRIP = ApprovalKind("用车申请", {"outside_city": "出市"}, "backend.fleet.service:trip_decided", "pages/fleet/trip")


def test_a_kind_not_named_after_its_module_stops_the_build():
    stray = Module(name="fleet", title="公车", approval_kinds={"cars.trip": TRIP})
    with pytest.raises(ValueError, match="must start with fleet."):
        Platform.of((*module_list.modules(), stray), module_list.registry())


def test_the_platform_lists_the_kinds_and_the_app_resolves_their_outcome_function():
    fleet = Module(name="fleet", title="公车", approval_kinds={"fleet.trip": TRIP})
    platform = Platform.of((*module_list.modules(), fleet), module_list.registry())
    assert platform.approval_kinds == {"fleet.trip": TRIP}
    assert "backend.fleet.service:trip_decided" in references(fleet)
