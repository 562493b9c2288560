"""What the energy console pages share: their permissions, the module's settings, the units an
admin reaches, the month a page is about, quantities as staff read them, and refusals of a
service turned into messages by field."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

from sanic.request import Request

from backend.accounts.guards import runtime, scope
from backend.accounts.service import people
from backend.console.forms import FormErrors
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, today
from backend.energy.config import EnergySettings
from backend.energy.models import MEASURE, MeterKind
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import meters
from backend.modules import settings_of

T = TypeVar("T")

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
# Months a page may be asked about: the plan's baseline year on, and not past next year.
FIRST_YEAR = 2015


def settings(request: Request) -> EnergySettings:
    return settings_of(runtime(request).settings, "energy")


async def units_seen(request: Request, permission: P = P.VIEW_ENERGY) -> list[int] | None:
    """The units whose meters, budgets and alerts this admin sees (None: every unit)."""
    return await meters.scope_units(scope(request, permission))


def this_month() -> date:
    return today().replace(day=1)


def requested_month(request: Request) -> date:
    """`?month=YYYY-MM`, or this month when absent or not a month a page can show."""
    found = MONTH.match(request.args.get("month", ""))
    if found:
        year, month = int(found.group(1)), int(found.group(2))
        if FIRST_YEAR <= year <= today().year + 1 and 1 <= month <= 12:
            return date(year, month, 1)
    return this_month()


def requested_year(request: Request) -> int:
    text = request.args.get("year", "")
    if text.isdigit() and FIRST_YEAR <= int(text) <= today().year:
        return int(text)
    return today().year


def requested_kind(request: Request, name: str = "kind") -> MeterKind | None:
    text = request.args.get(name, "")
    return next((k for k in MeterKind if k.value == text), None)


def kind_options() -> list[tuple[str, str]]:
    return [(k.value, f"{k.label}（{MEASURE[k]}）") for k in MeterKind]


async def unit_options(request: Request, permission: P = P.VIEW_ENERGY) -> list[tuple[str, str]]:
    """The enabled units an admin reaches, each after its parent, named as pages name them."""
    units = await people.list_units(scope(request, permission), enabled_only=True)
    names = {u["id"]: u["name"] for u in units}
    return [
        (str(u["id"]), people.unit_label(u["name"], names.get(u["parent_id"]), u["depth"]))
        for u in units
        if u["depth"] >= 1
    ]


def quantity(milli: int | None, decimals: int = 2) -> str:
    """Thousandths of a kind's unit as staff read them: "1,234.57"."""
    return meters.milli_text(milli, decimals)


def local_datetime(text: str) -> datetime | None:
    """A moment typed in a datetime-local field, read as Beijing time."""
    try:
        moment = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=BUSINESS_TZ) if moment.tzinfo is None else moment


def field(request: Request, name: str) -> str:
    return ((request.form or {}).get(name) or "").strip()


async def attempt(
    act: Callable[[], Awaitable[T]], field_of_code: dict[str, str] | None = None
) -> tuple[T | None, FormErrors]:
    """Run a service call; a refusal comes back as messages by field (`field_of_code` places a
    refusal by its code, the rest go to the form as a whole)."""
    try:
        return await act(), FormErrors()
    except AppError as refusal:
        if refusal.status >= 500 or refusal.status in (401, 403, 404):
            raise
        return None, FormErrors.of(refusal, field_of_code)


def bar(percent: int) -> dict[str, Any]:
    """A progress bar's width (capped at the track) and colour by how much is used."""
    tone = "ok" if percent < 80 else ("warn" if percent < 100 else "bad")
    return {"width": max(0, min(percent, 100)), "tone": tone}
