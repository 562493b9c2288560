"""Console page of the time-of-use tariff (电价): its versions, the one in force marked, and the
form of a new version (copied from the latest): seasons by month, each with its prices per
band (尖峰/峰/平/谷) in yuan per kWh and its periods of the day, plus the service fee. The form has
a fixed number of season and period rows, which is plenty for Chinese tariffs (at most a few
seasons of a few periods) and needs no script. The tariff service says what is wrong with a
version as a whole (a month missing, a gap in the day)."""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.charging.models import Band, Tariff
from backend.charging.pages.common import TARIFF, VIEW
from backend.charging.schemas import TariffIn
from backend.charging.service import tariffs
from backend.console.forms import FormErrors, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.money import parse_yuan, yuan_text
from backend.core.timeutil import BUSINESS_TZ, business_time, now

bp = Blueprint("console_charging_tariffs", url_prefix="/console/charging")

SEASON_SLOTS = 4
PERIOD_SLOTS = 8
BANDS = tuple(Band)
FLASH = {"created": "新电价版本已保存，到生效时间后开始充电的按新电价计费"}
PRICE_ERROR = "请输入每千瓦时的价格，单位元，最多两位小数"


def _season_of(form, i: int, errors: FormErrors) -> dict | None:
    """Season slot `i` of the posted form; None when the slot was left empty."""
    prefix = f"s{i}_"
    name = form.get(f"{prefix}name", "").strip()
    months = [int(m) for m in form.getlist(f"{prefix}months") or [] if m.isdigit()]
    prices = {}
    for band in BANDS:
        typed = form.get(f"{prefix}{band.value}", "").strip()
        if typed:
            try:
                prices[band.value] = parse_yuan(typed)
            except ValueError:
                errors[f"{prefix}{band.value}"] = PRICE_ERROR
    periods = []
    for j in range(PERIOD_SLOTS):
        start, end, band = (form.get(f"{prefix}p{j}_{k}", "").strip() for k in ("from", "to", "band"))
        if start or end or band:
            periods.append({"from": start, "to": end, "band": band})
    if not (name or months or prices or periods):
        return None
    return {"name": name or f"季节 {i + 1}", "months": months, "prices": prices, "periods": periods}


def _tariff_data(request: Request, errors: FormErrors) -> dict:
    form = request.form or {}
    data: dict = {"name": form.get("name", "").strip(), "effective_from": form.get("effective_from", "").strip()}
    fee = form.get("service_fee", "").strip()
    try:
        data["service_fee_fen_per_kwh"] = parse_yuan(fee)
    except ValueError:
        errors["service_fee"] = PRICE_ERROR
    seasons = [s for i in range(SEASON_SLOTS) if (s := _season_of(form, i, errors)) is not None]
    if seasons:
        data["seasons"] = seasons
    return data


def _form_of(tariff: Tariff | None) -> dict:
    """A form filled from `tariff` (a new version usually changes a few prices of the last one)."""
    if tariff is None:
        return {"name": "", "service_fee": "", "seasons": []}
    seasons = []
    for season in tariff.seasons:
        prices = {band: yuan_text(fen) for band, fen in season.get("prices", {}).items()}
        seasons.append(
            {
                "name": season.get("name", ""),
                "months": season.get("months", []),
                "prices": prices,
                "periods": season.get("periods", []),
            }
        )
    return {"name": "", "service_fee": yuan_text(tariff.service_fee_fen_per_kwh), "seasons": seasons}


def _form_from_post(request: Request) -> dict:
    """What was typed, in the shape of `_form_of`, to put back in a refused form."""
    form = request.form or {}
    typed = posted(request)
    seasons = []
    for i in range(SEASON_SLOTS):
        prefix = f"s{i}_"
        seasons.append(
            {
                "name": typed.get(f"{prefix}name", ""),
                "months": [int(m) for m in form.getlist(f"{prefix}months") or [] if m.isdigit()],
                "prices": {b.value: typed.get(f"{prefix}{b.value}", "") for b in BANDS},
                "periods": [
                    {k: typed.get(f"{prefix}p{j}_{k}", "") for k in ("from", "to", "band")} for j in range(PERIOD_SLOTS)
                ],
            }
        )
    return {**typed, "seasons": seasons}


def months_text(months: list[int]) -> str:
    """[1, 2, 3, 7, 12] -> "1–3 月、7 月、12 月": a season's months as people write them."""
    runs: list[list[int]] = []
    for month in sorted(months):
        if runs and month == runs[-1][-1] + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return "、".join(f"{r[0]}–{r[-1]} 月" if len(r) > 1 else f"{r[0]} 月" for r in runs)


def _version_view(tariff: Tariff, in_force_id: int | None) -> dict:
    return {
        "id": tariff.id,
        "name": tariff.name,
        "effective_from": tariff.effective_from,
        "service_fee": yuan_text(tariff.service_fee_fen_per_kwh),
        "in_force": tariff.id == in_force_id,
        "upcoming": tariff.effective_from > now(),
        "seasons": [
            {
                "name": s.get("name", ""),
                "months": months_text(s.get("months", [])),
                "periods": [
                    {
                        "from": p["from"],
                        "to": p["to"],
                        "band_label": Band(p["band"]).label if p["band"] in Band.labels() else p["band"],
                        "price": yuan_text(s.get("prices", {}).get(p["band"], 0)),
                    }
                    for p in s.get("periods", [])
                ],
            }
            for s in tariff.seasons
        ],
    }


async def _tariffs_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    versions = await Tariff.all().order_by("-effective_from", "-id")
    current = await tariffs.in_force(now())
    if form is None:
        form = _form_of(versions[0] if versions else None)
        form["effective_from"] = ""
    return await page(
        request,
        "charging/tariffs.html",
        status=status,
        versions=[_version_view(t, current.id if current else None) for t in versions],
        flash=flash(request, FLASH),
        can_manage=can(request, TARIFF),
        form=form,
        errors=errors or FormErrors(),
        season_slots=range(SEASON_SLOTS),
        period_slots=range(PERIOD_SLOTS),
        band_options=[(b.value, b.label) for b in BANDS],
        bands=BANDS,
        now_text=now().astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M"),
    )


@bp.get("/tariffs")
@console_page(VIEW)
async def tariff_list(request: Request):
    return await _tariffs_page(request)


def _create(request: Request, body: TariffIn):
    effective_from: datetime = business_time(body.effective_from)
    return tariffs.create_version(actor(request), body.name, effective_from, body.service_fee_fen_per_kwh, body.seasons)


@bp.post("/tariffs")
@console_page(TARIFF)
async def create(request: Request):
    errors = FormErrors()
    data = _tariff_data(request, errors)
    if not errors:
        _, errors = await submit(TariffIn, data, lambda body: _create(request, body))
    if not errors:
        return redirect("/console/charging/tariffs?done=created")
    if "seasons" in errors:  # the schema's complaint about no season at all, said where it is read
        errors[""] = "请至少填写一个季节的月份、价格与时段"
    return await _tariffs_page(request, 422, _form_from_post(request), errors)
