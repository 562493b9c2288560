"""Console pages of the assets module's setup, the bureau's (assets.manage_setup): the tree of
asset classes (add, rename, default life, deactivate) and the units' asset officers (appoint by
employee number and unit code, stop)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import AssetCategoryIn, AssetCategoryUpdateIn, AssetOfficerIn
from backend.assets.service import categories, officers
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import flash, page
from backend.console.session import console_page

bp = Blueprint("console_assets_setup", url_prefix="/console/assets/setup")

FLASH = {
    "category_saved": "资产分类已保存",
    "officer_saved": "资产管理员已指定",
    "officer_stopped": "资产管理员已停用",
}
CATEGORY_FIELDS = {
    "assets.category_code_invalid": "code",
    "assets.category_code_taken": "code",
    "assets.category_name_invalid": "name",
    "assets.category_life_invalid": "useful_life_months",
    "assets.category_not_found": "parent_id",
}
OFFICER_FIELDS = {"assets.officer_person_invalid": "employee_no", "assets.unit_invalid": "unit_code"}


async def _categories_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    tree = await categories.tree()
    chosen = (form or {}).get("category_id") or request.args.get("category") or ""
    editing = next((c for c in tree if str(c["id"]) == chosen), None)
    shown = form or (editing or {"useful_life_months": "0"})
    parent_options = [(str(c["id"]), "　" * c["depth"] + c["label"]) for c in tree if c["is_active"]]
    return await page(
        request,
        "assets/setup_categories.html",
        status=status,
        tree=tree,
        editing=editing,
        parent_options=parent_options,
        flash=flash(request, FLASH),
        form=shown,
        errors=errors or FormErrors(),
    )


@bp.get("/categories")
@console_page(P.MANAGE_SETUP)
async def category_list(request: Request):
    return await _categories_page(request)


@bp.post("/categories")
@console_page(P.MANAGE_SETUP)
async def category_save(request: Request):
    data = form_data(request)
    category_id = data.pop("category_id", "")
    if category_id.isdigit():
        data["is_active"] = "is_active" in (request.form or {})

        def update(body: AssetCategoryUpdateIn):
            return categories.update_category(
                actor(request), int(category_id), body.name, body.useful_life_months, body.is_active
            )

        _, errors = await submit(AssetCategoryUpdateIn, data, update, CATEGORY_FIELDS)
    else:

        def create(body: AssetCategoryIn):
            return categories.create_category(
                actor(request), body.code, body.name, body.parent_id, body.useful_life_months
            )

        _, errors = await submit(AssetCategoryIn, data, create, CATEGORY_FIELDS)
    if not errors:
        return redirect("/console/assets/setup/categories?done=category_saved")
    return await _categories_page(request, 422, posted(request), errors)


async def _officers_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "assets/setup_officers.html",
        status=status,
        officers=await officers.list_officers(),
        flash=flash(request, FLASH),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/officers")
@console_page(P.MANAGE_SETUP)
async def officer_list(request: Request):
    return await _officers_page(request)


@bp.post("/officers")
@console_page(P.MANAGE_SETUP)
async def officer_assign(request: Request):
    def assign(body: AssetOfficerIn):
        return officers.assign(actor(request), body.employee_no, body.unit_code)

    _, errors = await submit(AssetOfficerIn, form_data(request), assign, OFFICER_FIELDS)
    if not errors:
        return redirect("/console/assets/setup/officers?done=officer_saved")
    return await _officers_page(request, 422, posted(request), errors)


@bp.post("/officers/<officer_id:int>/stop")
@console_page(P.MANAGE_SETUP)
async def officer_stop(request: Request, officer_id: int):
    await officers.deactivate(actor(request), officer_id)
    return redirect("/console/assets/setup/officers?done=officer_stopped")
