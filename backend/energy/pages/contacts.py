"""Console page of the units' energy contacts (能耗联络员): who is told of a unit's alerts in
WeChat and sees its budget in the mini-program; adding one by employee number and removing one
need energy.manage_budgets."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.accounts.service import people
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError, AuthError
from backend.energy.errors import EnergyError
from backend.energy.pages.common import attempt, field, unit_options, units_seen
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import contacts

bp = Blueprint("console_energy_contacts", url_prefix="/console/energy")

FLASH = {"added": "已添加能耗联络员", "removed": "已移除能耗联络员"}
FIELDS = {"energy.contact_invalid": "employee_no"}


async def _contacts_page(request: Request, status: int = 200, form=None, errors=None):
    seen = await units_seen(request)
    rows = [c for c in await contacts.contacts() if seen is None or c["unit_id"] in seen]
    return await page(
        request,
        "energy/contacts.html",
        status=status,
        contacts=rows,
        unit_options=await unit_options(request),
        can_manage=can(request, P.MANAGE_BUDGETS),
        form=form or {},
        errors=errors or FormErrors(),
        flash=flash(request, FLASH),
    )


@bp.get("/contacts")
@console_page(P.VIEW_ENERGY)
async def contact_list(request: Request):
    return await _contacts_page(request)


@bp.post("/contacts")
@console_page(P.MANAGE_BUDGETS)
async def add(request: Request):
    unit_text, employee_no = field(request, "unit_id"), field(request, "employee_no")
    errors = FormErrors()
    if not unit_text.isdigit() or unit_text not in {v for v, _ in await unit_options(request)}:
        errors["unit_id"] = "请选择单位"
    if not 1 <= len(employee_no) <= 32:
        errors["employee_no"] = "请填写工号"
    if errors:
        return await _contacts_page(request, 422, posted(request), errors)

    async def act() -> dict:
        try:
            found = await people.people_by_employee_no([employee_no])
        except AppError:
            raise EnergyError.CONTACT_INVALID.error(problem=f"工号 {employee_no} 不存在或已离职") from None
        return await contacts.add_contact(actor(request), int(unit_text), found[employee_no])

    done, errors = await attempt(act, FIELDS)
    if done is None:
        return await _contacts_page(request, 422, posted(request), errors)
    return redirect("/console/energy/contacts?done=added")


@bp.post("/contacts/<contact_id:int>/remove")
@console_page(P.MANAGE_BUDGETS)
async def remove(request: Request, contact_id: int):
    seen = await units_seen(request)
    if seen is not None and not any(c["id"] == contact_id and c["unit_id"] in seen for c in await contacts.contacts()):
        raise AuthError.OUT_OF_SCOPE.error()
    await contacts.remove_contact(actor(request), contact_id)
    return redirect("/console/energy/contacts?done=removed")
