"""Console page of the entry screening (入场筛查, e.g. 三问一测两登记): switched on or off, its
questions each with the answer that lets a visitor in, the measured value with its limit and the
registrations the guard fills in; what is in force is kept with each walk-in's visit."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.access.pages.admin_common import attempt
from backend.access.permissions import AccessPermission as P
from backend.access.service import screening
from backend.accounts.guards import actor
from backend.console.forms import FormErrors, posted
from backend.console.render import flash, page
from backend.console.session import console_page

bp = Blueprint("console_access_screening", url_prefix="/console/access")

QUESTION_ROWS = 5
REGISTRATION_ROWS = 4


def _number(text: str) -> float | str:
    """The limit as a number; anything else is passed on as typed for the service to refuse."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


def config_of(form) -> dict:
    """The screening the form describes, as the service takes it (blank rows left out)."""
    questions = [
        {"text": form.get(f"q{i}", "").strip(), "allowed_answer": form.get(f"a{i}", "否")}
        for i in range(QUESTION_ROWS)
        if form.get(f"q{i}", "").strip()
    ]
    name = form.get("m_name", "").strip()
    measurement = (
        {"name": name, "unit": form.get("m_unit", "").strip(), "max": _number(form.get("m_max", ""))} if name else None
    )
    registrations = [r for i in range(REGISTRATION_ROWS) if (r := form.get(f"r{i}", "").strip())]
    return {
        "enabled": "enabled" in form,
        "questions": questions,
        "measurement": measurement,
        "registrations": registrations,
    }


def form_of(config: dict) -> dict:
    form = {"enabled": config["enabled"]}
    for i, q in enumerate(config["questions"][:QUESTION_ROWS]):
        form[f"q{i}"], form[f"a{i}"] = q["text"], q["allowed_answer"]
    if m := config.get("measurement"):
        form.update(
            m_name=m["name"], m_unit=m["unit"], m_max=f"{m['max']:g}" if isinstance(m["max"], float) else str(m["max"])
        )
    for i, r in enumerate(config["registrations"][:REGISTRATION_ROWS]):
        form[f"r{i}"] = r
    return form


async def _page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "access/screening.html",
        status=status,
        form=form or form_of(await screening.current()),
        errors=errors or FormErrors(),
        question_rows=range(QUESTION_ROWS),
        registration_rows=range(REGISTRATION_ROWS),
        flash=flash(request, {"saved": "入场筛查设置已保存，门岗登记即按此执行"}),
    )


@bp.get("/screening")
@console_page(P.MANAGE_SCREENING)
async def screening_page(request: Request):
    return await _page(request)


@bp.post("/screening")
@console_page(P.MANAGE_SCREENING)
async def save(request: Request):
    _, errors = await attempt(screening.save(actor(request), config_of(request.form or {})))
    if not errors:
        return redirect("/console/access/screening?done=saved")
    return await _page(request, 422, {**posted(request), "enabled": "enabled" in (request.form or {})}, errors)
