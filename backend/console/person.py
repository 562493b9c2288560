"""A person's console page (/console/people/<id>): the roster details, then what each module
shows of that person (the one-card wallet and its forms, repair teams...), each a section its
module declares (`Module.person_sections`), shown to those holding the section's permission."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from backend.accounts.guards import runtime, scope
from backend.accounts.permissions import AccountsPermission
from backend.accounts.service import people
from backend.console.forms import FormErrors
from backend.console.render import page
from backend.console.session import console_page
from backend.core.modules import resolve

bp = Blueprint("console_person", url_prefix="/console/people")


async def person_page(
    request: Request,
    person_id: int,
    status: int = 200,
    failed: str = "",
    form: dict | None = None,
    errors: FormErrors | None = None,
) -> HTTPResponse:
    """The page; after a refused form, `failed` names that form, which alone shows `form` and
    `errors` (the other forms come back empty)."""
    person = await people.get_person(runtime(request).cipher, scope(request, AccountsPermission.VIEW_PERSON), person_id)
    principal = request.ctx.principal
    platform = request.app.ctx.platform
    sections = []
    for section in platform.person_sections:
        if principal.can(section.permission):
            data = await resolve(section.load)(principal, person)
            if data is not None:
                sections.append({"template": section.template, "data": data})
    done = request.args.get("done", "")
    flash = next((s.flashes[done] for s in platform.person_sections if done in s.flashes), "")
    return await page(
        request,
        "console/person.html",
        status=status,
        person=person,
        sections=sections,
        flash=flash,
        failed=failed,
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.get("/<person_id:int>")
@console_page(AccountsPermission.VIEW_PERSON)
async def person_detail(request: Request, person_id: int):
    return await person_page(request, person_id)
