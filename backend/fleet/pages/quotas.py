"""The quota pages (用车额度): for a year, each unit's quota (allocated and transferred), what
its trips used and what remains, as a chart and a table; a unit's year month by month; and, for
whoever may manage quotas, the forms to allocate (年度核定) and to transfer between units
(蓄水池调剂). Viewing reaches a unit subtree: a unit's office sees its own units only."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from pydantic import BaseModel
from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, scope
from backend.console.charts import money_bars
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.money import yuan
from backend.core.permissions import Scope
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import now, today
from backend.core.web.responses import xlsx_download
from backend.fleet.errors import FleetError
from backend.fleet.permissions import FleetPermission
from backend.fleet.schemas import QuotaAllocateIn, QuotaTransferIn
from backend.fleet.service import quotas

bp = Blueprint("console_fleet_quotas", url_prefix="/console/fleet/quotas")

FLASH = {"allocated": "额度已核定", "transferred": "额度已调剂"}
COLUMNS = (
    ("quota_fen", "年度额度"),
    ("allocated_fen", "其中核定"),
    ("transferred_fen", "其中调剂"),
    ("charged_fen", "已用"),
    ("remaining_fen", "剩余"),
)
MONTH_COLUMNS = (
    ("allocated_fen", "核定"),
    ("transferred_fen", "调剂"),
    ("charged_fen", "用车费用"),
    ("remaining_fen", "月末剩余"),
)
# Where a refusal of the service belongs on the forms.
ALLOCATE_FIELDS = {"fleet.unit_not_found": "unit_id", "fleet.quota_year_invalid": "year"}
TRANSFER_FIELDS = {
    "fleet.unit_not_found": "from_unit_id",
    "fleet.quota_same_unit": "to_unit_id",
    "fleet.quota_short": "amount_fen",
    "fleet.quota_year_invalid": "year",
}


def _year(request: Request) -> int:
    raw = request.args.get("year") or ""
    year = int(raw) if raw.isdigit() else today().year
    return year if quotas.FIRST_YEAR <= year <= quotas.LAST_YEAR else today().year


def _viewable(request: Request) -> Scope:
    return scope(request, FleetPermission.VIEW_QUOTA)


async def _rows(viewable: Scope, year: int) -> tuple[list[dict], dict[int, str]]:
    labels = await quotas.unit_labels(viewable)
    ledger = await quotas.yearly(None if viewable.is_everything else labels, year)
    rows = [
        {
            "unit_id": unit_id,
            "unit": labels[unit_id],
            **line,
            "quota_fen": line["allocated_fen"] + line["transferred_fen"],
        }
        for unit_id, line in ledger.items()
        if unit_id in labels
    ]
    return sorted(rows, key=lambda r: r["unit"]), labels


async def _quota_page(request: Request, status: int = 200, **forms):
    year = _year(request)
    rows, _ = await _rows(_viewable(request), year)
    can_manage = can(request, FleetPermission.MANAGE_QUOTA)
    options = (
        [(str(unit_id), label) for unit_id, label in (await quotas.unit_labels(Scope.EVERYTHING)).items()]
        if can_manage
        else []
    )
    return await page(
        request,
        "fleet/quotas.html",
        status=status,
        year=year,
        rows=rows,
        columns=COLUMNS,
        total={key: sum(r[key] for r in rows) for key, _ in COLUMNS},
        chart=money_bars([{"label": r["unit"], "bar_fen": r["charged_fen"], "line_fen": r["quota_fen"]} for r in rows]),
        can_manage=can_manage,
        unit_options=sorted(options, key=lambda o: o[1]),
        flash=flash(request, FLASH),
        allocate_form=forms.get("allocate_form") or {"year": str(year)},
        allocate_errors=forms.get("allocate_errors", FormErrors()),
        transfer_form=forms.get("transfer_form") or {"year": str(year), "key": secrets.token_urlsafe(16)},
        transfer_errors=forms.get("transfer_errors", FormErrors()),
    )


@bp.get("")
@console_page(FleetPermission.VIEW_QUOTA)
async def overview(request: Request):
    return await _quota_page(request)


@bp.get("/export.xlsx")
@console_page(FleetPermission.VIEW_QUOTA)
async def overview_export(request: Request):
    year = _year(request)
    rows, _ = await _rows(_viewable(request), year)
    body = await table_workbook(
        f"{year} 年用车额度",
        ["单位", *(f"{label}（元）" for _, label in COLUMNS)],
        [[r["unit"], *(yuan(r[key]) for key, _ in COLUMNS)] for r in rows],
    )
    return xlsx_download(body, f"用车额度-{year}年.xlsx")


async def _post(request: Request, form: str, model: type[BaseModel], act: Callable, fields: dict[str, str]):
    """A quota form: amounts typed in yuan; back to the year's page when done, or the page again
    with what was typed and why it was refused."""
    data = form_data(request)
    typed = dict(data)
    _, errors = await submit(model, data, act, fields, yuan=("amount_fen",))
    if not errors:
        done = "allocated" if form == "allocate" else "transferred"
        return redirect(f"/console/fleet/quotas?year={typed.get('year', '')}&done={done}")
    return await _quota_page(request, 422, **{f"{form}_form": typed, f"{form}_errors": errors})


@bp.post("/allocate")
@console_page(FleetPermission.MANAGE_QUOTA)
async def allocate(request: Request):
    return await _post(
        request,
        "allocate",
        QuotaAllocateIn,
        lambda body: quotas.allocate(actor(request), body.unit_id, body.year, body.amount_fen, body.reason, now()),
        ALLOCATE_FIELDS,
    )


@bp.post("/transfer")
@console_page(FleetPermission.MANAGE_QUOTA)
async def transfer(request: Request):
    return await _post(
        request,
        "transfer",
        QuotaTransferIn,
        lambda body: quotas.transfer(
            actor(request), body.from_unit_id, body.to_unit_id, body.year, body.amount_fen, body.reason, body.key, now()
        ),
        TRANSFER_FIELDS,
    )


async def _unit_year(request: Request, unit_id: int) -> tuple[str, dict]:
    labels = await quotas.unit_labels(_viewable(request))
    if unit_id not in labels:
        raise FleetError.UNIT_NOT_FOUND.error()
    return labels[unit_id], await quotas.monthly(unit_id, _year(request))


@bp.get("/<unit_id:int>")
@console_page(FleetPermission.VIEW_QUOTA)
async def unit_months(request: Request, unit_id: int):
    unit, view = await _unit_year(request, unit_id)
    return await page(
        request,
        "fleet/quota_unit.html",
        unit=unit,
        view=view,
        year=view["year"],
        columns=MONTH_COLUMNS,
        chart=money_bars(
            [
                {"label": f"{m['month']}月", "bar_fen": m["charged_fen"], "line_fen": m["remaining_fen"]}
                for m in view["months"]
            ]
        ),
    )


@bp.get("/<unit_id:int>/export.xlsx")
@console_page(FleetPermission.VIEW_QUOTA)
async def unit_months_export(request: Request, unit_id: int):
    unit, view = await _unit_year(request, unit_id)
    body = await table_workbook(
        f"{view['year']} 年逐月额度",
        ["月份", *(f"{label}（元）" for _, label in MONTH_COLUMNS)],
        [[f"{m['month']}月", *(yuan(m[key]) for key, _ in MONTH_COLUMNS)] for m in view["months"]],
    )
    return xlsx_download(body, f"用车额度-{unit}-{view['year']}年.xlsx")
