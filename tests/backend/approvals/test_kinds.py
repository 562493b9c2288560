"""How a module declares the kinds of request it has approved: a kind is named after its module,
and the function told of the outcome is a reference the app resolves when it is built."""

from __future__ import annotations

import pytest

from backend import modules as module_list
from backend.core.modules import ApprovalKind, Module, Platform, references

TRANSFER = ApprovalKind("资产调拨", {"over_value": "超过限额"}, "backend.assets.service:transfer_decided", "pages/x")


def test_a_kind_not_named_after_its_module_stops_the_build():
    stray = Module(name="assets", title="资产", approval_kinds={"things.transfer": TRANSFER})
    with pytest.raises(ValueError, match="must start with assets."):
        Platform.of((*module_list.modules(), stray), module_list.registry())


def test_the_platform_lists_the_kinds_and_the_app_resolves_their_outcome_function():
    assets = Module(name="assets", title="资产", approval_kinds={"assets.transfer": TRANSFER})
    platform = Platform.of((*module_list.modules(), assets), module_list.registry())
    assert platform.approval_kinds["assets.transfer"] == TRANSFER
    assert "fleet.trip_request" in platform.approval_kinds  # the official cars' requests
    assert "backend.assets.service:transfer_decided" in references(assets)
