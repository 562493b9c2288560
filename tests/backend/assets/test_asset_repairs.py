"""Repairs from an asset's QR code: the report is filed in the asset's room with the asset named
as the spot, shows on the asset's card, is filed once however often it is retried, and an asset
disposed of or unknown cannot be reported."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest

from backend.assets.models import Asset, AssetRepair, AssetStatus
from backend.assets.service import asset_repairs
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.repairs.service import catalog
from backend.repairs.service import reports as repair_reports
from backend.repairs.service.reports import Who


async def _detail(world, report_id: int, employee_no: str) -> dict:
    return await repair_reports.report_detail(report_id, now(), await Who.of_cadre(world.people[employee_no]), "")


async def _report(world, employee_no: str, asset_no: str, ref: str, category_id: int, text: str):
    return await asset_repairs.report_repair(world.people[employee_no], asset_no, ref, category_id, text, [], now())


@pytest.fixture
async def water(assets_world) -> int:
    await catalog.save_team(CLI_ACTOR, "WX1", "水电班", "D0005", ["D0004"])
    return (await catalog.save_category(CLI_ACTOR, "water", "水电", "WX1", Decimal(2), Decimal(16), False))["id"]


async def test_a_repair_from_an_asset_is_filed_in_its_room_and_shows_on_its_card(assets_world, water):
    pc = assets_world.assets["pc"]
    report, created = await asset_repairs.report_repair(
        assets_world.people["D0003"], pc.asset_no, secrets.token_hex(8), water, "主机无法开机", [], now()
    )
    assert created and report["asset_no"] == pc.asset_no
    detail = await repair_reports.report_detail(
        report["id"], now(), await Who.of_cadre(assets_world.people["D0003"]), ""
    )
    assert detail["location_id"] == assets_world.places["301"]
    assert detail["location"] == "A座 3楼 301" and detail["spot"] == f"资产 {pc.asset_no} 台式计算机"
    on_card = await asset_repairs.repairs_of(pc.id)
    assert [(r["id"], r["description"], r["category"]["name"]) for r in on_card] == [
        (report["id"], "主机无法开机", "水电")
    ]
    assert await asset_repairs.repairs_of(assets_world.assets["desk"].id) == []


async def test_a_retry_with_the_same_client_ref_files_once_and_links_once(assets_world, water):
    pc, ref = assets_world.assets["pc"], secrets.token_hex(8)
    first, created = await asset_repairs.report_repair(
        assets_world.people["D0001"], pc.asset_no, ref, water, "漏电", [], now()
    )
    again, created_again = await asset_repairs.report_repair(
        assets_world.people["D0001"], pc.asset_no, ref, water, "漏电", [], now()
    )
    assert created and not created_again and again["id"] == first["id"]
    assert await AssetRepair.filter(asset_id=pc.id).count() == 1


async def test_a_report_filed_but_not_linked_is_linked_by_the_retry(assets_world, water):
    """The link is written after the repairs module filed the report: a retry mends a lost link."""
    pc, ref = assets_world.assets["pc"], secrets.token_hex(8)
    first, _ = await asset_repairs.report_repair(
        assets_world.people["D0001"], pc.asset_no, ref, water, "漏电", [], now()
    )
    await AssetRepair.filter(repair_id=first["id"]).delete()
    await _report(assets_world, "D0001", pc.asset_no, ref, water, "漏电")
    assert await AssetRepair.filter(asset_id=pc.id, repair_id=first["id"]).exists()


async def test_an_asset_without_a_room_is_filed_by_its_spot_alone(assets_world, water):
    desk = assets_world.assets["desk"]
    await Asset.filter(id=desk.id).update(place_id=None)
    report, _ = await asset_repairs.report_repair(
        assets_world.people["D0001"], desk.asset_no, secrets.token_hex(8), water, "桌腿松动", [], now()
    )
    detail = await repair_reports.report_detail(
        report["id"], now(), await Who.of_cadre(assets_world.people["D0001"]), ""
    )
    assert detail["location_id"] is None and desk.asset_no in detail["spot"]


async def test_a_disposed_or_unknown_asset_cannot_be_reported(assets_world, water):
    chair = assets_world.assets["chair"]
    await Asset.filter(id=chair.id).update(status=AssetStatus.DISPOSED)
    for number, code in ((chair.asset_no, "assets.asset_gone"), ("ZC99999999", "assets.asset_not_found")):
        with pytest.raises(AppError) as refused:
            await asset_repairs.report_repair(
                assets_world.people["D0001"], number, secrets.token_hex(8), water, "坏了", [], now()
            )
        assert refused.value.code == code
    assert await AssetRepair.all().count() == 0
