"""Console pages of the office-space register (办公用房, 一房一档): the places tree (buildings,
floors, rooms), the rooms register with its area-standard flags and export, a room's and a
building's file with their forms, the area standard, room reallocations, the Excel import and
the space-per-person report with its chart."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import raw, redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import DocumentKind, InspectionResult, Tenure, TransferState
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import (
    AreaStandardIn,
    BuildingFileIn,
    InspectionIn,
    OccupantIn,
    PlaceIn,
    RoomFactsIn,
)
from backend.assets.service import space, space_import, standards, transfers
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import now
from backend.core.web.responses import xlsx_download
from backend.places import service as places

bp = Blueprint("assets_space_pages", url_prefix="/console/assets/space")

FLASH = {
    "place": "地点已添加",
    "facts": "房间登记已保存",
    "occupant": "使用人已登记",
    "removed": "使用人已移除",
    "document": "文件已上传",
    "inspection": "安全检查已登记",
    "building": "楼宇档案已保存",
    "standard": "面积标准已保存",
}
FACTS_FIELDS = {
    "places.area_invalid": "use_area",
    "places.unit_invalid": "unit_id",
    "places.occupant_has_office": "use",
}
OCCUPANT_FIELDS = {
    "places.occupant_exists": "employee_no",
    "places.person_invalid": "employee_no",
    "accounts.person_not_found": "employee_no",
    "places.occupant_has_office": "employee_no",
    "places.since_in_future": "since",
}
EXPORT_HEADER = (
    *("房间", "用途", "使用单位", "使用面积（㎡）", "建筑面积（㎡）"),
    *("使用人", "核定面积（㎡）", "超出（㎡）", "核定结果"),
)
INSPECTION_FIELDS = {"assets.date_in_future": "inspected_on", "assets.inspector_required": "inspector"}


def _area(hundredths: int | None) -> str:
    return places.area_text(hundredths).removesuffix(" m²")


async def _unit_options(request: Request) -> list[tuple[str, str]]:
    units = await people.list_units(scope(request, P.VIEW_SPACE), enabled_only=True)
    return [(str(u["id"]), f"{u['code']} {u['name']}") for u in units]


async def _building_options() -> list[tuple[str, str]]:
    return [(str(b["id"]), b["name"]) for b in await places.buildings()]


# ---- places tree ---------------------------------------------------------------------------------


async def _places_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    tree = await places.tree()
    parents = [(str(p["id"]), p["full_name"]) for p in tree if p["kind"] != "room"]
    return await page(
        request,
        "assets/space_places.html",
        status=status,
        tree=tree,
        parents=parents,
        form=form or {},
        errors=errors or FormErrors(),
        can_manage=can(request, P.MANAGE_SPACE),
        flash=flash(request, FLASH),
    )


@bp.get("/places")
@console_page(P.VIEW_SPACE)
async def places_page(request: Request):
    return await _places_page(request)


@bp.post("/places")
@console_page(P.MANAGE_SPACE)
async def add_place(request: Request):
    fields = {"places.place_not_found": "parent_id", "places.place_invalid": "parent_id"}
    done, errors = await submit(
        PlaceIn, form_data(request), lambda b: places.create_place(actor(request), b.name.strip(), b.parent_id), fields
    )
    if not errors:
        return redirect("/console/assets/space/places?done=place")
    return await _places_page(request, 422, posted(request), errors)


# ---- rooms register -----------------------------------------------------------------------------


def _register_query(request: Request) -> tuple[int | None, int | None, str]:
    def number(name: str) -> int | None:
        value = request.args.get(name, "")
        return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None

    flag = request.args.get("flag", "")
    return number("building_id"), number("unit_id"), flag if flag in standards.FLAG_LABELS else ""


@bp.get("/rooms")
@console_page(P.VIEW_SPACE)
async def rooms_page(request: Request):
    building_id, unit_id, flag = _register_query(request)
    rooms = await standards.register(scope(request, P.VIEW_SPACE), building_id, unit_id, flag)
    return await page(
        request,
        "assets/space_rooms.html",
        rooms=rooms,
        area=_area,
        buildings=await _building_options(),
        units=await _unit_options(request),
        flags=list(standards.FLAG_LABELS.items()),
        chosen={"building_id": str(building_id or ""), "unit_id": str(unit_id or ""), "flag": flag},
        query=request.query_string,
    )


@bp.get("/rooms.xlsx")
@console_page(P.VIEW_SPACE)
async def rooms_export(request: Request):
    building_id, unit_id, flag = _register_query(request)
    rooms = await standards.register(scope(request, P.VIEW_SPACE), building_id, unit_id, flag)
    body = await table_workbook(
        "办公用房登记",
        [
            "房间",
            "用途",
            "使用单位",
            "使用面积（㎡）",
            "建筑面积（㎡）",
            "使用人",
            "核定面积（㎡）",
            "超出（㎡）",
            "核定结果",
        ],
        [
            [
                r["full_name"],
                r["use_label"],
                r["unit_name"] or "空置",
                _area(r["use_area"]),
                _area(r["building_area"]),
                "、".join(f"{o['name']}（{o['grade_label']}）" for o in r["occupants"]),
                _area(r["allowed"]),
                _area(r["over_by"]) if r["over_by"] else "",
                r["flag_label"],
            ]
            for r in rooms
        ],
    )
    return xlsx_download(body, "办公用房登记.xlsx")


# ---- a room's and a building's file ---------------------------------------------------------------


async def _room_page(request: Request, place_id: int, status: int = 200, **forms):
    room = await space.room_file(scope(request, P.VIEW_SPACE), place_id, now())
    facts_form = forms.get("facts_form") or {
        "use_area": _area(room["use_area"]),
        "building_area": _area(room["building_area"]),
        "use": room["use"] or "office",
        "unit_id": str(room["unit_id"] or ""),
    }
    return await page(
        request,
        "assets/space_room.html",
        status=status,
        room=room,
        area=_area,
        can_manage=can(request, P.MANAGE_SPACE),
        units=await _unit_options(request),
        uses=[(u.value, u.label) for u in places.RoomUse],
        grades=[(g.value, g.label) for g in places.OfficeGrade],
        kinds=[(k.value, k.label) for k in DocumentKind],
        results=[(r.value, r.label) for r in InspectionResult],
        facts_form=facts_form,
        facts_errors=forms.get("facts_errors", FormErrors()),
        occupant_form=forms.get("occupant_form", {}),
        occupant_errors=forms.get("occupant_errors", FormErrors()),
        paper_errors=forms.get("paper_errors", FormErrors()),
        paper_form=forms.get("paper_form", {}),
        flash=flash(request, FLASH),
    )


@bp.get("/rooms/<place_id:int>")
@console_page(P.VIEW_SPACE)
async def room_page(request: Request, place_id: int):
    return await _room_page(request, place_id)


@bp.post("/rooms/<place_id:int>/facts")
@console_page(P.MANAGE_SPACE)
async def save_facts(request: Request, place_id: int):
    _, errors = await submit(
        RoomFactsIn,
        form_data(request),
        lambda b: places.set_room_facts(
            None, actor(request), place_id, b.use_area, b.building_area, places.RoomUse(b.use), b.unit_id
        ),
        FACTS_FIELDS,
    )
    if not errors:
        return redirect(f"/console/assets/space/rooms/{place_id}?done=facts")
    return await _room_page(request, place_id, 422, facts_form=posted(request), facts_errors=errors)


async def _add_occupant(request: Request, place_id: int, body: OccupantIn) -> None:
    person_id = (await people.people_by_employee_no([body.employee_no.strip()]))[body.employee_no.strip()]
    await places.add_occupant(None, actor(request), place_id, person_id, places.OfficeGrade(body.grade), body.since)


@bp.post("/rooms/<place_id:int>/occupants")
@console_page(P.MANAGE_SPACE)
async def add_occupant(request: Request, place_id: int):
    _, errors = await submit(
        OccupantIn, form_data(request), lambda b: _add_occupant(request, place_id, b), OCCUPANT_FIELDS
    )
    if not errors:
        return redirect(f"/console/assets/space/rooms/{place_id}?done=occupant")
    return await _room_page(request, place_id, 422, occupant_form=posted(request), occupant_errors=errors)


@bp.post("/rooms/<place_id:int>/occupants/<person_id:int>/remove")
@console_page(P.MANAGE_SPACE)
async def remove_occupant(request: Request, place_id: int, person_id: int):
    await places.remove_occupant(None, actor(request), place_id, person_id)
    return redirect(f"/console/assets/space/rooms/{place_id}?done=removed")


async def _back_to_file(place_id: int, done: str):
    """Back to the file the paper was added from: a building's or a room's."""
    place = await places.active_place(place_id)
    kind = "buildings" if place["kind"] == "building" else "rooms"
    return redirect(f"/console/assets/space/{kind}/{place_id}?done={done}")


async def _paper_refused(request: Request, place_id: int, errors: FormErrors):
    place = await places.active_place(place_id)
    if place["kind"] == "building":
        return await _building_page(request, place_id, 422, paper_form=posted(request), paper_errors=errors)
    return await _room_page(request, place_id, 422, paper_form=posted(request), paper_errors=errors)


@bp.post("/places/<place_id:int>/documents")
@console_page(P.MANAGE_SPACE)
async def upload_document(request: Request, place_id: int):
    upload = request.files.get("file") if request.files else None
    data = form_data(request)
    try:
        if upload is None or not upload.body:
            raise AssetsError.DOCUMENT_EMPTY.error()
        kind = DocumentKind(data.get("kind", ""))
    except ValueError:
        return await _paper_refused(request, place_id, FormErrors({"kind": "请选择文件类别"}))
    except AppError as refusal:
        return await _paper_refused(request, place_id, FormErrors({"file": refusal.message}))
    try:
        await space.add_document(
            actor(request),
            runtime(request).storage,
            place_id,
            kind,
            data.get("title", ""),
            upload.name or "",
            upload.body,
            now(),
        )
    except AppError as refusal:
        return await _paper_refused(request, place_id, FormErrors.of(refusal, {"assets.document_title": "title"}))
    return await _back_to_file(place_id, "document")


@bp.get("/documents/<document_id:int>")
@console_page(P.VIEW_SPACE)
async def download_document(request: Request, document_id: int):
    document, key = await space.document_file(scope(request, P.VIEW_SPACE), document_id)
    body = await runtime(request).storage.get(key)
    return raw(body, content_type=document.content_type, headers={"Content-Disposition": "attachment"})


@bp.post("/places/<place_id:int>/inspections")
@console_page(P.MANAGE_SPACE)
async def add_inspection(request: Request, place_id: int):
    _, errors = await submit(
        InspectionIn,
        form_data(request),
        lambda b: space.add_inspection(
            actor(request), place_id, b.inspected_on, b.inspector, InspectionResult(b.result), b.findings, now()
        ),
        INSPECTION_FIELDS,
    )
    if errors:
        return await _paper_refused(request, place_id, errors)
    return await _back_to_file(place_id, "inspection")


async def _building_page(request: Request, building_id: int, status: int = 200, **forms):
    building = await space.building_file(building_id)
    current = building["file"] or {}
    return await page(
        request,
        "assets/space_building.html",
        status=status,
        building=building,
        area=_area,
        can_manage=can(request, P.MANAGE_SPACE),
        tenures=[(t.value, t.label) for t in Tenure],
        kinds=[(k.value, k.label) for k in DocumentKind],
        results=[(r.value, r.label) for r in InspectionResult],
        file_form=forms.get("file_form") or {k: str(v if v is not None else "") for k, v in current.items()},
        file_errors=forms.get("file_errors", FormErrors()),
        paper_form=forms.get("paper_form", {}),
        paper_errors=forms.get("paper_errors", FormErrors()),
        flash=flash(request, FLASH),
    )


@bp.get("/buildings/<building_id:int>")
@console_page(P.VIEW_SPACE)
async def building_page(request: Request, building_id: int):
    return await _building_page(request, building_id)


@bp.post("/buildings/<building_id:int>/file")
@console_page(P.MANAGE_SPACE)
async def save_building(request: Request, building_id: int):
    def save(b: BuildingFileIn):
        form = space.BuildingForm(Tenure(b.tenure), b.title_no, b.land_no, b.permits, b.built_year, b.address, b.note)
        return space.set_building_file(actor(request), building_id, form, now().date())

    _, errors = await submit(BuildingFileIn, form_data(request), save, {"assets.built_year_invalid": "built_year"})
    if not errors:
        return redirect(f"/console/assets/space/buildings/{building_id}?done=building")
    return await _building_page(request, building_id, 422, file_form=posted(request), file_errors=errors)


# ---- area standard, reallocations, report, import ------------------------------------------------


async def _standard_page(request: Request, status: int = 200, errors=None):
    return await page(
        request,
        "assets/space_standard.html",
        status=status,
        rows=await standards.table(),
        area=_area,
        errors=errors or FormErrors(),
        flash=flash(request, FLASH),
    )


@bp.get("/standard")
@console_page(P.MANAGE_SETUP)
async def standard_page(request: Request):
    return await _standard_page(request)


@bp.post("/standard")
@console_page(P.MANAGE_SETUP)
async def save_standard(request: Request):
    _, errors = await submit(
        AreaStandardIn,
        form_data(request),
        lambda b: standards.set_standard(actor(request), b.grade, b.per_person),
        {"assets.standard_invalid": "per_person"},
    )
    if not errors:
        return redirect("/console/assets/space/standard?done=standard")
    return await _standard_page(request, 422, errors)


@bp.get("/transfers")
@console_page(P.VIEW_SPACE)
async def transfers_page(request: Request):
    state = request.args.get("state", "")
    state = state if state in TransferState._value2member_map_ else ""
    return await page(
        request,
        "assets/space_transfers.html",
        transfers=await transfers.listed(scope(request, P.VIEW_SPACE), state),
        states=[(s.value, s.label) for s in TransferState],
        state=state,
    )


@bp.get("/per-person")
@console_page(P.VIEW_SPACE)
async def per_person_page(request: Request):
    totals = await standards.unit_totals(scope(request, P.VIEW_SPACE))
    standard = await standards.per_person()
    longest = max([t["area_per_person"] or 0 for t in totals] + [standard[places.OfficeGrade.BELOW_BUREAU]])
    return await page(
        request,
        "assets/space_per_person.html",
        totals=totals,
        area=_area,
        longest=longest or 1,
        below_bureau=standard[places.OfficeGrade.BELOW_BUREAU],
    )


@bp.get("/import")
@console_page(P.MANAGE_SPACE)
async def import_page(request: Request):
    return await page(request, "assets/space_import.html", result=None, errors=FormErrors())


@bp.get("/import/template.xlsx")
@console_page(P.MANAGE_SPACE)
async def import_template(request: Request):
    return xlsx_download(space_import.template(), "办公用房登记表模板.xlsx")


@bp.post("/import")
@console_page(P.MANAGE_SPACE)
async def import_upload(request: Request):
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        errors = FormErrors({"file": "请选择登记表文件（.xlsx）"})
        return await page(request, "assets/space_import.html", status=422, result=None, errors=errors)
    dry_run = bool(request.form.get("dry_run"))
    try:
        result = await space_import.import_register(actor(request), upload.body, now().date(), dry_run)
    except AppError as refusal:
        errors = FormErrors({"file": refusal.message})
        return await page(request, "assets/space_import.html", status=422, result=None, errors=errors)
    status = 422 if result.problems else 200
    return await page(
        request, "assets/space_import.html", status=status, result=result, dry_run=dry_run, errors=FormErrors()
    )
