"""The console's stock-taking pages over HTTP: the list and a task render for whoever may see
assets and are refused to anyone else; the form opens a task (and puts a refusal by its field);
closing shows the findings, each resolved by its own form; a unit's admin reaches only their
units' tasks; the report downloads."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from backend.assets.models import Asset, Stocktake, StocktakeFinding
from backend.assets.service import qr, stocktakes
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import now
from tests.helpers import console_admin

BASE = "http://localhost:8000"
TAGS = re.compile(r"<[^>]+>")


def _text(response) -> str:
    return " ".join(TAGS.sub("", response.text).split())


VIEWER = ["assets.view_assets"]
RUNNER = ["assets.view_assets", "assets.run_stocktake"]


async def planted(world) -> dict:
    """A building task in which the desk is missing, the chair was found in 303 and a foreign
    label in 301."""
    a, checker = world.assets, world.people["D0002"]
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座年度盘点", None, world.places["A座"], ["D0002"], now()
    )
    for room, code in (
        ("301", qr.asset_qr_text(BASE, a["pc"].asset_no)),
        ("301", "HW-ASSET-000123"),
        ("303", qr.asset_qr_text(BASE, a["chair"].asset_no)),
        ("101", qr.asset_qr_text(BASE, a["table"].asset_no)),
    ):
        await stocktakes.scan(checker, task["id"], world.places[room], BASE, code, now())
    await stocktakes.submit_room(checker, task["id"], world.places["301"], now())
    return task


@pytest.mark.parametrize("path", ["", "/{id}", "/{id}/report.xlsx"])
async def test_the_pages_render_for_a_viewer_and_are_refused_without_the_permission(client, assets_world, path):
    task = await planted(assets_world)
    url = "/console/assets/stocktakes" + path.format(id=task["id"])
    await console_admin(client, "other", ["repairs.view_report"])
    assert (await client.get(url)).status_code == 403
    await console_admin(client, "viewer", VIEWER)
    shown = await client.get(url)
    assert shown.status_code == 200
    if not path:
        assert "A座年度盘点" in shown.text and "发起盘点" not in shown.text  # no form without run_stocktake


async def test_the_form_opens_a_task_and_a_refusal_is_shown_by_its_field(client, assets_world):
    world = assets_world
    csrf = await console_admin(client, "runner", RUNNER)
    refused = await client.post(
        "/console/assets/stocktakes",
        data={"csrf_token": csrf, "title": "财政局盘点", "unit_id": str(world.units["CZJ-BGS"]), "checkers": "D9999"},
    )
    assert refused.status_code == 422 and "工号 D9999 不存在或已离职" in refused.text
    assert await Stocktake.all().count() == 0
    opened = await client.post(
        "/console/assets/stocktakes",
        data={
            "csrf_token": csrf,
            "title": "财政局盘点",
            "unit_id": str(world.units["CZJ-BGS"]),
            "checkers": "D0003，D0004",
        },
    )
    task = await Stocktake.get(title="财政局盘点")
    assert opened.status_code == 302
    assert opened.headers["location"] == f"/console/assets/stocktakes/{task.id}?done=opened"
    shown = await client.get(opened.headers["location"])
    assert "李娜（D0003）" in shown.text and "刘洋（D0004）" in shown.text and "A座 3楼 302" in shown.text
    assert await AuditEntry.filter(action="assets.open_stocktake").count() == 1


async def test_closing_shows_the_three_findings_and_each_is_resolved_by_its_form(client, assets_world):
    world = assets_world
    task = await planted(world)
    csrf = await console_admin(client, "runner", RUNNER)
    before = await client.get(f"/console/assets/stocktakes/{task['id']}")
    assert "差异（预览）" in before.text and before.text.count("盘亏（未找到）") == 1  # the desk, its room submitted
    assert "房间 1 / 4 已提交" in _text(before) and "应盘资产 4 件，已扫到 3 件" in _text(before)
    closed = await client.post(f"/console/assets/stocktakes/{task['id']}/close", data={"csrf_token": csrf})
    assert closed.status_code == 302
    shown = await client.get(f"/console/assets/stocktakes/{task['id']}")
    assert "盘亏 1 · 位置不符 1 · 盘盈 1 · 待处理 3" in shown.text and "HW-ASSET-000123" in shown.text

    moved = await StocktakeFinding.get(stocktake_id=task["id"], kind="moved")
    wrong = await client.post(
        f"/console/assets/stocktakes/{task['id']}/findings/{moved.id}/resolve",
        data={"csrf_token": csrf, "resolution": "registered"},
    )
    assert wrong.status_code == 422 and "“位置不符”不能按“已登记入账”处理" in wrong.text
    done = await client.post(
        f"/console/assets/stocktakes/{task['id']}/findings/{moved.id}/resolve",
        data={"csrf_token": csrf, "resolution": "relocated", "note": "已搬至303"},
    )
    assert done.status_code == 302
    assert (await Asset.get(id=world.assets["chair"].id)).place_id == world.places["303"]
    shown = await client.get(f"/console/assets/stocktakes/{task['id']}")
    assert "待处理 2" in shown.text and "已搬至303" in shown.text


async def test_a_viewer_cannot_close_or_resolve(client, assets_world):
    task = await planted(assets_world)
    csrf = await console_admin(client, "viewer", VIEWER)
    refused = await client.post(f"/console/assets/stocktakes/{task['id']}/close", data={"csrf_token": csrf})
    assert refused.status_code == 403
    assert (await Stocktake.get(id=task["id"])).state.value == "open"


async def test_a_unit_admin_sees_and_closes_only_their_units_tasks(client, assets_world):
    world = assets_world
    building = await planted(world)
    theirs = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "财政局盘点", world.units["CZJ-BGS"], None, ["D0003"], now()
    )
    csrf = await console_admin(client, "czj", RUNNER, unit_code="CZJ")
    listed = await client.get("/console/assets/stocktakes")
    assert "财政局盘点" in listed.text and "A座年度盘点" not in listed.text
    assert (await client.get(f"/console/assets/stocktakes/{building['id']}")).status_code == 403
    refused = await client.post(f"/console/assets/stocktakes/{building['id']}/close", data={"csrf_token": csrf})
    assert refused.status_code == 403 and (await Stocktake.get(id=building["id"])).state.value == "open"
    closed = await client.post(f"/console/assets/stocktakes/{theirs['id']}/close", data={"csrf_token": csrf})
    assert closed.status_code == 302


async def test_the_report_downloads_the_findings_and_rooms(client, assets_world):
    task = await planted(assets_world)
    await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    await console_admin(client, "viewer", VIEWER)
    report = await client.get(f"/console/assets/stocktakes/{task['id']}/report.xlsx")
    assert report.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(report.content))
    kinds = [row[0] for row in book["盘点差异"].iter_rows(min_row=3, values_only=True)]
    assert kinds == ["盘亏（未找到）", "位置不符", "盘盈（清单外）"]
