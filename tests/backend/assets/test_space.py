"""The office-space register's files (一房一档) and its console pages: a room's file brings its
facts, occupants, check, assets, repairs, documents, inspections and reallocations together;
building files, documents and inspections are validated and audited; every page renders for
whoever may see the register, is refused to others, and a unit's admin sees only its rooms."""

from __future__ import annotations

import io
from datetime import date, timedelta

import openpyxl
import pytest

from backend.accounts.service import people
from backend.assets.models import InspectionResult, SpaceDocument, Tenure
from backend.assets.service import space
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import now, today
from backend.places.models import PlaceOccupant, RoomFacts
from tests.helpers import console_admin

VIEWER = ["assets.view_space"]
STAFF = ["assets.view_space", "assets.manage_space", "assets.manage_setup"]


async def test_a_rooms_file_brings_its_facts_occupants_assets_and_check_together(assets_world):
    w = assets_world
    found = await space.room_file(Scope.EVERYTHING, w.places["301"], now())
    assert (found["full_name"], found["use_area"], found["unit_name"]) == (
        "A座 3楼 301",
        1800,
        "市发展和改革委员会·办公室",
    )
    assert [o["employee_no"] for o in found["occupants"]] == ["D0001"]
    assert found["check"]["flag"] == "over"
    assert sorted(a["name"] for a in found["assets"]) == ["办公桌", "台式计算机"]
    assert found["repairs"] == [] and found["transfers"] == []


async def test_a_units_scope_reaches_only_the_rooms_its_units_hold(assets_world):
    w = assets_world
    scope = Scope.units(["/no-such-unit/"])
    with pytest.raises(AppError) as refused:
        await space.room_file(scope, w.places["301"], now())
    assert refused.value.code == "assets.room_not_found"


async def test_documents_are_stored_checked_and_audited(assets_world, runtime):
    w = assets_world
    doc = await space.add_document(
        CLI_ACTOR,
        runtime.storage,
        w.places["301"],
        space.DocumentKind.FLOOR_PLAN,
        "三楼平面图",
        "plan.PDF",
        b"%PDF-1.4 test",
        now(),
    )
    stored = await SpaceDocument.get(id=doc["id"])
    assert await runtime.storage.get(stored.file_key) == b"%PDF-1.4 test"
    assert stored.content_type == "application/pdf"
    for filename, data, code in (
        ("virus.exe", b"MZ", "assets.document_type"),
        ("empty.pdf", b"", "assets.document_empty"),
        ("huge.pdf", b"x" * (space.MOST_DOCUMENT_MB * 1024 * 1024 + 1), "assets.document_too_large"),
    ):
        with pytest.raises(AppError) as refused:
            await space.add_document(
                CLI_ACTOR, runtime.storage, w.places["301"], space.DocumentKind.DOCUMENT, "文件", filename, data, now()
            )
        assert refused.value.code == code
    assert await SpaceDocument.all().count() == 1
    assert await AuditEntry.filter(action="assets.add_space_document").count() == 1


async def test_an_inspection_dated_tomorrow_is_refused(assets_world):
    w = assets_world
    tomorrow = now().date() + timedelta(days=1)
    with pytest.raises(AppError) as refused:
        await space.add_inspection(CLI_ACTOR, w.places["A座"], tomorrow, "王工", InspectionResult.PASSED, "", now())
    assert refused.value.code == "assets.date_in_future"
    done = await space.add_inspection(
        CLI_ACTOR, w.places["A座"], now().date(), "王工", InspectionResult.HAZARD, "消防通道堆物", now()
    )
    assert done["result_label"] == "存在隐患"


async def test_a_building_file_is_written_and_a_future_year_refused(assets_world):
    w = assets_world
    form = space.BuildingForm(Tenure.OWNED, title_no="粤(2020)第001号", built_year=2008)
    await space.set_building_file(CLI_ACTOR, w.places["A座"], form, date(2026, 12, 7))
    found = await space.building_file(w.places["A座"])
    assert (found["file"]["tenure_label"], found["rooms"], found["use_area"]) == ("自有产权", 4, 17400)
    assert (found["rooms_over"], found["rooms_vacant"]) == (1, 1)
    for building_id, year, code in (
        (w.places["A座"], 2030, "assets.built_year_invalid"),
        (w.places["301"], 2008, "assets.building_not_found"),
    ):
        with pytest.raises(AppError) as refused:
            await space.set_building_file(
                CLI_ACTOR, building_id, space.BuildingForm(Tenure.OWNED, built_year=year), date(2026, 12, 7)
            )
        assert refused.value.code == code


def _pages(w) -> tuple[str, ...]:
    return (
        "/console/assets/space/places",
        "/console/assets/space/rooms",
        "/console/assets/space/rooms.xlsx",
        f"/console/assets/space/rooms/{w.places['301']}",
        f"/console/assets/space/buildings/{w.places['A座']}",
        "/console/assets/space/transfers",
        "/console/assets/space/per-person",
    )


async def test_every_page_renders_for_a_viewer_without_forms_and_is_refused_to_others(client, assets_world):
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in _pages(assets_world):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", VIEWER)
    for path in _pages(assets_world):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        if path.endswith(".xlsx"):
            sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
            assert [c.value for c in sheet[1]][0] == "房间" and sheet.max_row == 5
        else:
            assert 'action="/console/assets/' not in answer.text, path  # a viewer gets no forms
    assert (await client.get("/console/assets/space/standard")).status_code == 403
    assert (await client.get("/console/assets/space/import")).status_code == 403


async def test_the_register_flags_over_standard_rooms(client, assets_world):
    await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/assets/space/rooms?flag=over")
    assert "A座 3楼 301" in page.text and "A座 3楼 302" not in page.text and "超标" in page.text


async def test_staff_register_a_room_in_square_metres_and_a_bad_area_is_shown_at_its_field(client, assets_world):
    w = assets_world
    csrf = await console_admin(client, "staff", STAFF)
    url = f"/console/assets/space/rooms/{w.places['303']}/facts"
    bad = await client.post(url, data={"csrf_token": csrf, "use_area": "-3", "use": "office"})
    assert bad.status_code == 422 and "面积须为大于 0 的数" in bad.text
    good = await client.post(
        url,
        data={
            "csrf_token": csrf,
            "use_area": "21.5",
            "building_area": "28",
            "use": "office",
            "unit_id": str(w.units["FGW-GHC"]),
        },
    )
    assert good.status_code == 302
    facts = await RoomFacts.get(place_id=w.places["303"])
    assert (facts.use_area_hundredths, facts.building_area_hundredths, facts.unit_id) == (
        2150,
        2800,
        w.units["FGW-GHC"],
    )


async def test_staff_add_an_occupant_by_employee_number_and_an_unknown_one_is_refused(client, assets_world):
    w = assets_world
    csrf = await console_admin(client, "staff", STAFF)
    url = f"/console/assets/space/rooms/{w.places['303']}/occupants"
    unknown = await client.post(
        url, data={"csrf_token": csrf, "employee_no": "X999", "grade": "below_bureau", "since": "2026-01-05"}
    )
    assert unknown.status_code == 422 and "X999" in unknown.text
    added = await client.post(
        url, data={"csrf_token": csrf, "employee_no": "D0005", "grade": "bureau_chief", "since": "2026-01-05"}
    )
    assert added.status_code == 302
    page = await client.get(f"/console/assets/space/rooms/{w.places['303']}")
    assert "陈静" in page.text and "局级正职" in page.text


async def test_staff_set_the_standard_and_a_viewer_may_not(client, assets_world):
    viewer = await console_admin(client, "viewer", VIEWER)
    refused = await client.post(
        "/console/assets/space/standard", data={"csrf_token": viewer, "grade": "below_bureau", "per_person": "12"}
    )
    assert refused.status_code == 403
    csrf = await console_admin(client, "staff", STAFF)
    saved = await client.post(
        "/console/assets/space/standard", data={"csrf_token": csrf, "grade": "below_bureau", "per_person": "12.5"}
    )
    assert saved.status_code == 302
    page = await client.get("/console/assets/space/standard")
    assert "12.50" in page.text


async def test_staff_add_a_place_to_the_tree(client, assets_world):
    csrf = await console_admin(client, "staff", STAFF)
    added = await client.post(
        "/console/assets/space/places",
        data={"csrf_token": csrf, "name": "5楼", "parent_id": str(assets_world.places["A座"])},
    )
    assert added.status_code == 302
    assert "5楼" in (await client.get("/console/assets/space/places")).text


async def test_a_units_room_file_lists_only_its_own_assets_and_counts_the_others(client, assets_world):
    """CZJ's chair (800.00 元) stands in FGW's room 301: FGW's admin sees that another unit has
    one item there, not what it is or what it is worth; the bureau sees it all."""
    w = assets_world
    chair = w.assets["chair"]
    chair.place_id = w.places["301"]
    await chair.save(update_fields=["place_id"])
    fgw = Scope.units([(await people.units_by_id([w.units["FGW"]]))[w.units["FGW"]].path])
    found = await space.room_file(fgw, w.places["301"], now())
    assert (sorted(a["name"] for a in found["assets"]), found["other_assets"]) == (["办公桌", "台式计算机"], 1)
    everything = await space.room_file(Scope.EVERYTHING, w.places["301"], now())
    assert (len(everything["assets"]), everything["other_assets"]) == (3, 0)

    await console_admin(client, "fgw-viewer", VIEWER, unit_code="FGW")
    page = await client.get(f"/console/assets/space/rooms/{w.places['301']}")
    assert page.status_code == 200
    assert "办公椅" not in page.text and "800.00" not in page.text and "另有 1 件其他单位的资产" in page.text


async def test_staff_cannot_give_an_occupant_a_second_office_or_a_date_after_today(client, assets_world):
    w = assets_world
    csrf = await console_admin(client, "staff", STAFF)
    url = f"/console/assets/space/rooms/{w.places['303']}/occupants"
    second = await client.post(
        url, data={"csrf_token": csrf, "employee_no": "D0001", "grade": "below_bureau", "since": "2026-01-05"}
    )
    assert second.status_code == 422 and "每人只能占用一间办公室" in second.text and "A座 3楼 301" in second.text
    tomorrow = (today() + timedelta(days=1)).isoformat()
    late = await client.post(
        url, data={"csrf_token": csrf, "employee_no": "D0005", "grade": "below_bureau", "since": tomorrow}
    )
    assert late.status_code == 422 and "入驻日期不能晚于今天" in late.text
    assert not await PlaceOccupant.exists(place_id=w.places["303"])
