"""Console pages for units (new, rename, 停用/启用), the roster (list, add, edit, 调动, 离职) and
its import. Every write goes through a service that records it in the audit log."""

from __future__ import annotations

import base64
import json
import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.models import StaffCategory
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import NewPersonIn, PersonIn, PersonLeaveIn, PersonMoveIn, UnitCreateIn, UnitRenameIn
from backend.accounts.service import leaving, personnel, roster
from backend.accounts.service import people as service
from backend.console.errors import ConsoleError
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.errors import AppError
from backend.core.permissions import AdminPrincipal
from backend.core.web.responses import xlsx_download

bp = Blueprint("console_people", url_prefix="/console")

FLASH = {
    "unit_created": "单位已创建",
    "unit_renamed": "单位已更名",
    "unit_disabled": "单位已停用：不再出现在单位选择中，也不能再调入或新增人员",
    "unit_enabled": "单位已启用",
}
# Where a service refusal is shown on the person forms.
PERSON_FIELDS = {
    "accounts.employee_no_taken": "employee_no",
    "accounts.phone_taken": "phone",
    "accounts.id_card_taken": "id_card",
    "accounts.unit_not_found": "unit_code",
    "accounts.unit_out_of_scope": "unit_code",
    "accounts.unit_disabled": "unit_code",
    "accounts.move_to_same_unit": "unit_code",
}
STAFF_CATEGORIES = [(c.value, c.label) for c in StaffCategory]
IMPORT_TTL = 900


# ---- units -------------------------------------------------------------------------------------


async def _units_page(request: Request, errors: FormErrors | None = None, form: dict | None = None, status=200):
    units = await service.list_units(scope(request, AccountsPermission.VIEW_UNIT))
    return await page(
        request,
        "accounts/units.html",
        status=status,
        units=units,
        parents=[u for u in units if u["is_enabled"]],
        errors=errors or FormErrors(),
        form=form or {},
        flash=flash(request, FLASH),
        can_manage=can(request, AccountsPermission.MANAGE_UNIT),
    )


@bp.get("/units")
@console_page(AccountsPermission.VIEW_UNIT)
async def units(request: Request):
    return await _units_page(request)


@bp.post("/units")
@console_page(AccountsPermission.MANAGE_UNIT)
async def create_unit(request: Request):
    data = form_data(request)
    _, errors = await submit(
        UnitCreateIn,
        data,
        lambda body: service.create_unit(
            actor(request),
            scope(request, AccountsPermission.MANAGE_UNIT),
            body.code,
            body.name,
            body.parent_code,
        ),
        {"accounts.unit_code_taken": "code", "accounts.unit_not_found": "parent_code"},
    )
    if not errors:
        return redirect("/console/units?done=unit_created")
    return await _units_page(request, errors, data, 422)


async def _unit_page(request: Request, unit_id: int, errors: FormErrors | None = None, status=200):
    unit = await service.get_unit(scope(request, AccountsPermission.MANAGE_UNIT), unit_id)
    return await page(
        request,
        "accounts/unit.html",
        status=status,
        unit=unit,
        errors=errors or FormErrors(),
        flash=flash(request, FLASH),
    )


@bp.get("/units/<unit_id:int>")
@console_page(AccountsPermission.MANAGE_UNIT)
async def unit_detail(request: Request, unit_id: int):
    return await _unit_page(request, unit_id)


@bp.post("/units/<unit_id:int>/rename")
@console_page(AccountsPermission.MANAGE_UNIT)
async def rename_unit(request: Request, unit_id: int):
    _, errors = await submit(
        UnitRenameIn,
        form_data(request),
        lambda body: service.rename_unit(
            actor(request), scope(request, AccountsPermission.MANAGE_UNIT), unit_id, body.name
        ),
    )
    if not errors:
        return redirect(f"/console/units/{unit_id}?done=unit_renamed")
    return await _unit_page(request, unit_id, errors, 422)


@bp.post("/units/<unit_id:int>/enabled")
@console_page(AccountsPermission.MANAGE_UNIT)
async def set_unit_enabled(request: Request, unit_id: int):
    enabled = request.form.get("is_enabled") == "1"
    try:
        await service.set_unit_enabled(actor(request), scope(request, AccountsPermission.MANAGE_UNIT), unit_id, enabled)
    except AppError as refusal:
        if refusal.status in (403, 404):
            raise
        return await _unit_page(request, unit_id, FormErrors.of(refusal), 409)
    return redirect(f"/console/units/{unit_id}?done={'unit_enabled' if enabled else 'unit_disabled'}")


# ---- people ------------------------------------------------------------------------------------

PEOPLE = Table(
    title="人员名册",
    columns=(
        Column("employee_no", "工号", sort="employee_no", href="/console/people/{id}"),
        Column("name", "姓名", sort="name"),
        Column("unit_name", "单位", sort="unit__path"),
        Column("staff_category_label", "人员类别", sort="staff_category"),
        Column("phone", "手机号"),
        Column("wechat_bound", "已绑定微信", kind="bool"),
        Column("is_active", "在职", kind="bool"),
    ),
    default_sort="employee_no",
    filters=(
        Filter("q", "姓名或工号", placeholder="输入姓名或工号"),
        Filter("unit", "单位（含下级）", kind="select"),
        # Left people are kept on the roster (their history is) but listed only when asked for.
        Filter(
            "standing",
            "在职状态",
            kind="select",
            options=tuple((s.value, s.label) for s in service.Standing if s is not service.Standing.ACTIVE),
            blank=service.Standing.ACTIVE.label,
        ),
    ),
)


async def _people_state(request: Request):
    rt = runtime(request)
    units = await service.list_units(scope(request, AccountsPermission.VIEW_PERSON))
    state = PEOPLE.with_options("unit", tuple((u["code"], "　" * u["depth"] + u["name"]) for u in units)).state(request)
    query = await service.people_query(
        scope(request, AccountsPermission.VIEW_PERSON),
        query=state.filters["q"],
        unit_code=state.filters["unit"] or None,
        standing=service.Standing(state.filters["standing"] or service.Standing.ACTIVE),
    )

    def view(person) -> dict:
        row = service.person_view(person, rt.cipher)
        return {**row, "unit_name": row["unit"]["name"]}

    return state, query, view


@bp.get("/people")
@console_page(AccountsPermission.VIEW_PERSON)
async def people(request: Request):
    state, query, view = await _people_state(request)
    await fetch(state, query, view)
    return await page(
        request,
        "accounts/people.html",
        state=state,
        can_import=can(request, AccountsPermission.IMPORT_PERSON),
        can_manage=can(request, AccountsPermission.MANAGE_PERSON),
    )


@bp.get("/people/export.xlsx")
@console_page(AccountsPermission.VIEW_PERSON)
async def people_export(request: Request):
    state, query, view = await _people_state(request)
    return await export(state, query, view, "人员名册")


# ---- roster import -----------------------------------------------------------------------------


def _stash_key(token: str) -> str:
    return f"console:roster-import:{token}"


async def _import_refused(request: Request, filename: str, refusal: AppError):
    """Nothing was imported: say why, with every bad row by line when the file had some."""
    problems = refusal.details.get("problems", []) if isinstance(refusal.details, dict) else []
    return await page(
        request,
        "accounts/import.html",
        status=422,
        stage="problems",
        filename=filename,
        message=refusal.message,
        problems=problems,
        errors=FormErrors(),
    )


@bp.get("/people/import/template.xlsx")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_template(request: Request):
    return xlsx_download(await roster.template_workbook(), "人员名册模板.xlsx")


@bp.get("/people/import")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_form(request: Request):
    return await page(request, "accounts/import.html", stage="upload", errors=FormErrors())


@bp.post("/people/import")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_check(request: Request):
    """Check the uploaded roster without applying it; a clean one is kept for 15 minutes for
    the admin to confirm, so what is applied is exactly what was checked."""
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return await page(
            request,
            "accounts/import.html",
            status=422,
            stage="upload",
            errors=FormErrors({"file": "请选择名册文件（.xlsx 或 .csv）"}),
        )
    rt = runtime(request)
    try:
        report = await service.import_roster(
            actor(request),
            rt.cipher,
            scope(request, AccountsPermission.IMPORT_PERSON),
            upload.name or "",
            upload.body,
            dry_run=True,
        )
    except AppError as refusal:
        return await _import_refused(request, upload.name, refusal)
    token = secrets.token_urlsafe(24)
    await rt.redis.set(
        _stash_key(token),
        json.dumps(
            {
                "admin_id": request.ctx.principal.admin_id,
                "filename": upload.name or "",
                "content": base64.b64encode(upload.body).decode(),
            }
        ),
        ex=IMPORT_TTL,
    )
    return await page(
        request,
        "accounts/import.html",
        stage="preview",
        filename=upload.name,
        report=report,
        token=token,
        errors=FormErrors(),
    )


@bp.post("/people/import/confirm")
@console_page(AccountsPermission.IMPORT_PERSON)
async def import_confirm(request: Request):
    rt = runtime(request)
    token = (request.form.get("token") or "")[:64]
    stashed = await rt.redis.getdel(_stash_key(token)) if token else None
    data = json.loads(stashed) if stashed else None
    if data is None or data["admin_id"] != request.ctx.principal.admin_id:
        raise ConsoleError.IMPORT_EXPIRED.error()
    try:
        report = await service.import_roster(
            actor(request),
            rt.cipher,
            scope(request, AccountsPermission.IMPORT_PERSON),
            data["filename"],
            base64.b64decode(data["content"]),
            dry_run=False,
        )
    except AppError as refusal:
        return await _import_refused(request, data["filename"], refusal)
    return await page(
        request, "accounts/import.html", stage="done", filename=data["filename"], report=report, errors=FormErrors()
    )


async def person_section(principal: AdminPrincipal, person: dict) -> dict:
    """The roster details on a person's page come from the page's own `person`; the links to its
    forms are for those who may manage people."""
    return {"can_manage": principal.can(AccountsPermission.MANAGE_PERSON)}


# ---- one person: add, edit, move, leave --------------------------------------------------------


def _manage(request: Request):
    return scope(request, AccountsPermission.MANAGE_PERSON)


async def _person_form_page(
    request: Request,
    person: dict | None,
    form: dict,
    errors: FormErrors | None = None,
    status: int = 200,
    failed: str = "",
):
    """The add form (`person` None) or the edit and move forms of `person`; after a refusal,
    `failed` names the form that shows `form` and `errors`."""
    units = await service.list_units(_manage(request), enabled_only=True)
    return await page(
        request,
        "accounts/person_form.html",
        status=status,
        person=person,
        form=form,
        errors=errors or FormErrors(),
        failed=failed,
        units=[(u["code"], "　" * u["depth"] + u["name"]) for u in units],
        staff_categories=STAFF_CATEGORIES,
    )


@bp.get("/people/new")
@console_page(AccountsPermission.MANAGE_PERSON)
async def new_person(request: Request):
    return await _person_form_page(request, None, {"staff_category": StaffCategory.ESTABLISHED.value})


@bp.post("/people/new")
@console_page(AccountsPermission.MANAGE_PERSON)
async def create_person(request: Request):
    data = form_data(request)
    created, errors = await submit(
        NewPersonIn,
        data,
        lambda body: personnel.create_person(
            actor(request),
            runtime(request).cipher,
            _manage(request),
            employee_no=body.employee_no,
            name=body.name,
            unit_code=body.unit_code,
            staff_category=body.staff_category,
            phone=body.phone,
            id_card=body.id_card,
        ),
        PERSON_FIELDS,
    )
    if created:
        return redirect(f"/console/people/{created['id']}?done=person_created")
    return await _person_form_page(request, None, data, errors, 422, "person")


async def _editable(request: Request, person_id: int) -> dict:
    return await service.get_person(runtime(request).cipher, _manage(request), person_id)


@bp.get("/people/<person_id:int>/edit")
@console_page(AccountsPermission.MANAGE_PERSON)
async def edit_person(request: Request, person_id: int):
    person = await _editable(request, person_id)
    form = await personnel.person_form(runtime(request).cipher, _manage(request), person_id)
    return await _person_form_page(request, person, form)


@bp.post("/people/<person_id:int>/edit")
@console_page(AccountsPermission.MANAGE_PERSON)
async def update_person(request: Request, person_id: int):
    person = await _editable(request, person_id)
    data = form_data(request)
    updated, errors = await submit(
        PersonIn,
        data,
        lambda body: personnel.update_person(
            actor(request),
            runtime(request).cipher,
            _manage(request),
            person_id,
            employee_no=body.employee_no,
            name=body.name,
            staff_category=body.staff_category,
            phone=body.phone,
            id_card=body.id_card,
        ),
        PERSON_FIELDS,
    )
    if updated:
        done = "person_updated" if updated["changed"] else "person_unchanged"
        return redirect(f"/console/people/{person_id}?done={done}")
    return await _person_form_page(request, person, data, errors, 422, "person")


@bp.post("/people/<person_id:int>/move")
@console_page(AccountsPermission.MANAGE_PERSON)
async def move_person(request: Request, person_id: int):
    person = await _editable(request, person_id)
    data = form_data(request)
    moved, errors = await submit(
        PersonMoveIn,
        data,
        lambda body: personnel.move_person(actor(request), _manage(request), person_id, body.unit_code, body.reason),
        PERSON_FIELDS,
    )
    if moved:
        return redirect(f"/console/people/{person_id}?done=person_moved")
    form = await personnel.person_form(runtime(request).cipher, _manage(request), person_id)
    return await _person_form_page(request, person, {**form, **data}, errors, 422, "move")


async def _leave_page(
    request: Request, person_id: int, form: dict | None = None, errors: FormErrors | None = None, status: int = 200
):
    """The leave form: what each module will settle, the fields they need, a fresh idempotency
    key per rendered form (a double click or a resent page leaves the person once)."""
    person = await _editable(request, person_id)
    previews = await leaving.preview_leaving(_manage(request), person_id, request.ctx.principal.scope)
    return await page(
        request,
        "accounts/person_leave.html",
        status=status,
        person=person,
        previews=previews,
        blocked=any(p.blocker for p in previews),
        form=form or {},
        errors=errors or FormErrors(),
        form_key=secrets.token_urlsafe(18),
    )


@bp.get("/people/<person_id:int>/leave")
@console_page(AccountsPermission.MANAGE_PERSON)
async def leave_form(request: Request, person_id: int):
    return await _leave_page(request, person_id)


@bp.post("/people/<person_id:int>/leave")
@console_page(AccountsPermission.MANAGE_PERSON)
async def leave_person(request: Request, person_id: int):
    await _editable(request, person_id)
    data = form_data(request)
    key = data.pop("idempotency_key", "")
    errors = FormErrors()
    if data.get("confirm") != "on":
        errors["confirm"] = "请勾选确认：离职后微信绑定解除，一卡通结清，卡片注销"
    if not 8 <= len(key) <= 64:
        errors[""] = "表单已失效，请刷新页面后重新提交"
    if not errors:
        done, errors = await submit(
            PersonLeaveIn,
            {k: v for k, v in data.items() if k == "reason"},
            lambda body: leaving.leave_person(
                actor(request), _manage(request), person_id, body.reason, data, key, request.ctx.principal.scope
            ),
        )
        if done:
            return redirect(f"/console/people/{person_id}?done=person_left{'_replayed' if done['replayed'] else ''}")
    return await _leave_page(request, person_id, {k: request.form.get(k, "") for k in request.form or {}}, errors, 422)
