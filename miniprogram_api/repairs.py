"""The cadre's repairs (随手拍): report with photos, follow, confirm and rate; and, for
technicians, their tasks: acknowledge, start, resolve with after-photos and the parts used."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, rate_limited, runtime
from backend.core.timeutil import now
from backend.core.web.apidocs import JPEG, PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok, private_image
from backend.core.web.validation import accepts, query_int, uploaded_file
from backend.repairs.schemas import (
    CategoryOut,
    ConfirmIn,
    NoteIn,
    PartOut,
    PlaceInTreeOut,
    PossibleDuplicate,
    ReportDetailOut,
    ReportIn,
    ReportOut,
    ResolveIn,
    SubmittedOut,
    UploadedPhotoOut,
)
from backend.repairs.service import catalog, parts, uploads
from backend.repairs.service import reports as service
from backend.repairs.service.reports import Who

bp = Blueprint("mp_repairs", url_prefix="/repairs")
TITLE = "小程序·报修"
PHOTOS = "/mp/v1/repairs/photos"


async def _who(request: Request) -> Who:
    return await Who.of_cadre(request.ctx.principal.person_id)


@bp.get("/categories")
@api("报修类别", Listed[CategoryOut])
@cadre_required
async def categories(request: Request):
    return ok({"items": await catalog.list_categories()})


@bp.get("/locations")
@api("报修地点", Listed[PlaceInTreeOut])
@cadre_required
async def locations(request: Request):
    return ok({"items": await catalog.location_tree()})


@bp.post("/photos")
@api("上传报修照片", UploadedPhotoOut, status=201)
@cadre_required
@rate_limited("api_rate_limit", "mp_repair_photo", per_principal=True)
async def upload_photo(request: Request):
    """multipart/form-data with one `file`; checked by its content, stripped of all metadata."""
    return ok(
        await uploads.upload(runtime(request).storage, request.ctx.principal.person_id, uploaded_file(request), now()),
        201,
    )


@bp.get("/photos/<photo_id:int>")
@api("报修照片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@cadre_required
async def photo(request: Request, photo_id: int):
    found = await uploads.photo_for_cadre(photo_id, request.ctx.principal.person_id)
    body, content_type = await uploads.content(runtime(request).storage, found, request.args.get("size") == "thumb")
    return private_image(body, content_type)


@bp.get("/duplicates")
@api(
    "同一地点同类的未办结报修（防重复）",
    Listed[PossibleDuplicate],
    query=(
        Query("category_id", "报修类别编号", int, required=True),
        Query("location_id", "报修地点编号", int, required=True),
    ),
)
@cadre_required
async def duplicates(request: Request):
    """Open reports in the same room and category, shown before the cadre files another."""
    location_id = query_int(request, "location_id", 0, 1, 2**31 - 1)
    category_id = query_int(request, "category_id", 0, 1, 2**31 - 1)
    return ok({"items": await service.possible_duplicates(location_id, category_id, now())})


@bp.post("")
@api("提交报修（随手拍）", SubmittedOut, status=(201, 200))
@cadre_required
@accepts(ReportIn)
async def submit(request: Request, body: ReportIn):
    report, created = await service.submit(
        await _who(request),
        body.client_ref,
        body.category_id,
        body.location_id,
        body.spot,
        body.description,
        body.photo_ids,
        now(),
    )
    return ok(report, 201 if created else 200)


@bp.get("")
@api(
    "我的报修或我的工单（分页）",
    Paged[ReportOut],
    query=(
        *PAGING,
        Query("role", "technician：我的工单；缺省为我的报修"),
    ),
)
@cadre_required
async def mine(request: Request):
    """My reports, or with ?role=technician my tasks."""
    role = "technician" if request.args.get("role") == "technician" else "reporter"
    return ok(
        await service.list_for_cadre(
            request.ctx.principal.person_id,
            role,
            now(),
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


async def _involved(request: Request, report_id: int) -> Who:
    """The cadre, once the report is known to be theirs (filed or assigned to them)."""
    who = await _who(request)
    await service.visible_to_cadre(report_id, who.id)
    return who


async def _reply(who: Who, report_id: int):
    """Every step answers with the report as it now stands."""
    return ok(await service.report_detail(report_id, now(), who, PHOTOS))


@bp.get("/<report_id:int>")
@api("报修单详情", ReportDetailOut)
@cadre_required
async def detail(request: Request, report_id: int):
    return await _reply(await _involved(request, report_id), report_id)


@bp.post("/<report_id:int>/cancel")
@api("撤销报修", ReportDetailOut)
@cadre_required
@accepts(NoteIn)
async def cancel(request: Request, report_id: int, body: NoteIn):
    who = await _involved(request, report_id)
    await service.close_without_repair(who, report_id, "cancel", body.note, now())
    return await _reply(who, report_id)


@bp.post("/<report_id:int>/confirm")
@api("报修人确认修复", ReportDetailOut)
@cadre_required
@accepts(ConfirmIn)
async def confirm(request: Request, report_id: int, body: ConfirmIn):
    who = await _involved(request, report_id)
    await service.confirm(who, report_id, body.rating, body.comment, now())
    return await _reply(who, report_id)


@bp.post("/<report_id:int>/reopen")
@api("报修人反馈未修好", ReportDetailOut)
@cadre_required
@accepts(NoteIn)
async def reopen(request: Request, report_id: int, body: NoteIn):
    who = await _involved(request, report_id)
    await service.reopen(who, report_id, body.note, now())
    return await _reply(who, report_id)


@bp.post("/<report_id:int>/acknowledge")
@api("维修人员接单", ReportDetailOut)
@cadre_required
async def acknowledge(request: Request, report_id: int):
    who = await _involved(request, report_id)
    await service.acknowledge(who, report_id, now())
    return await _reply(who, report_id)


@bp.post("/<report_id:int>/start")
@api("开始维修", ReportDetailOut)
@cadre_required
async def start(request: Request, report_id: int):
    who = await _involved(request, report_id)
    await service.start(who, report_id, now())
    return await _reply(who, report_id)


@bp.post("/<report_id:int>/resolve")
@api("完成维修", ReportDetailOut)
@cadre_required
@accepts(ResolveIn)
async def resolve(request: Request, report_id: int, body: ResolveIn):
    who = await _involved(request, report_id)
    await service.resolve(
        who, report_id, body.note, body.photo_ids, [(p.part_id, p.quantity) for p in body.parts], now()
    )
    return await _reply(who, report_id)


@bp.get("/parts")
@api("维修备件（维修人员用）", Listed[PartOut])
@cadre_required
async def spare_parts(request: Request):
    """The parts stock, for a technician recording what a repair used."""
    return ok({"items": await parts.list_parts()})
