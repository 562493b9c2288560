"""Console pages for units, the roster and its import. Every write goes through the same
services (and audit) as the admin API."""

from __future__ import annotations

import base64
import json
import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.accounts.permissions import AccountsPermission
from backend.accounts.schemas import (
    UnitCreateIn,
)
from backend.accounts.service import people as service
from backend.accounts.service import roster
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
}
IMPORT_TTL = 900


# ---- units -------------------------------------------------------------------------------------


async def _units_page(request: Request, errors: FormErrors | None = None, form: dict | None = None, status=200):
    units = await service.list_units(scope(request, AccountsPermission.VIEW_UNIT))
    return await page(
        request,
        "accounts/units.html",
        status=status,
        units=units,
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
    filters=(Filter("q", "姓名或工号", placeholder="输入姓名或工号"), Filter("unit", "单位（含下级）", kind="select")),
)


async def _people_state(request: Request):
    rt = runtime(request)
    units = await service.list_units(scope(request, AccountsPermission.VIEW_PERSON))
    state = PEOPLE.with_options("unit", tuple((u["code"], "　" * u["depth"] + u["name"]) for u in units)).state(request)
    query = await service.people_query(
        scope(request, AccountsPermission.VIEW_PERSON),
        query=state.filters["q"],
        unit_code=state.filters["unit"] or None,
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
        request, "accounts/people.html", state=state, can_import=can(request, AccountsPermission.IMPORT_PERSON)
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
    """The roster details on a person's page come from the page's own `person`."""
    return {}
