"""Console pages of the meter registry (电表): the meters with their last reading, communication
and supply state; registering and changing a meter; a meter's page with its recent readings and
events, the manual reading and the event (reset, replacement, CT change) forms; the readings held
for review with the form that accepts or rejects one; importing readings from a workbook; and the
meter models. Whoever may see energy sees them; changing them needs energy.manage_meters."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from tortoise.functions import Count

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError, AuthError
from backend.core.timeutil import now
from backend.core.web.responses import xlsx_download
from backend.energy.models import (
    MEASURE,
    Apportion,
    CommState,
    Meter,
    MeterEventKind,
    MeterKind,
    MeterRole,
    Protocol,
)
from backend.energy.pages.common import (
    attempt,
    field,
    kind_options,
    local_datetime,
    requested_kind,
    settings,
    unit_options,
    units_seen,
)
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import meter_events, meters, reading_import, readings
from backend.places import service as places

bp = Blueprint("console_energy_meters", url_prefix="/console/energy")

FLASH = {
    "created": "电表已登记",
    "saved": "电表已保存",
    "enabled": "电表已启用，下一次采集起读取",
    "disabled": "电表已停用，不再采集，也不计入预算",
    "reading": "读数已录入",
    "event": "已记录，此后的用量按新表底与倍率计算",
    "reviewed": "复核已保存，用量已重新计算",
    "model": "电表型号已登记",
}
METER_FIELDS = {
    "energy.meter_code_invalid": "code",
    "energy.meter_code_taken": "code",
}
MODEL_FIELDS = {"energy.meter_model_name_taken": "name", "energy.meter_model_invalid": "register_map"}
READING_FIELDS = {"energy.reading_invalid": "value"}
EVENT_FIELDS = {"energy.event_invalid": "old_final", "energy.reason_required": "reason"}
REVIEW_FIELDS = {"energy.reason_required": "note", "energy.reading_not_held": "note"}
IMPORT_INVALID = "energy.import_invalid"
STATE_FILTER = [(s.value, s.label) for s in CommState] + [("manual", "人工抄表")]
BLANK_METER = {
    "kind": MeterKind.ELECTRICITY.value,
    "role": MeterRole.CONSUMPTION.value,
    "apportion": "none",
    "multiplier": "1",
}


# ---- the list -----------------------------------------------------------------------------------


@bp.get("/meters")
@console_page(P.VIEW_ENERGY)
async def meter_list(request: Request):
    """`?kind=`, `?state=` (a communication state, or "manual") and `?q=` (code or name) filter."""
    kind = requested_kind(request)
    state_text = request.args.get("state", "")
    state = next((s for s in CommState if s.value == state_text), None)
    rows = await meters.meter_rows(await units_seen(request), kind, state)
    if state_text == "manual":
        rows = [r for r in rows if not r["model_id"]]
    if q := request.args.get("q", "").strip()[:32]:
        rows = [r for r in rows if q.lower() in r["code"].lower() or q in r["name"]]
    return await page(
        request,
        "energy/meters.html",
        rows=rows,
        kind=kind.value if kind else "",
        state=state_text if state or state_text == "manual" else "",
        q=q,
        kind_options=kind_options(),
        state_options=STATE_FILTER,
        held=len(await readings.held_readings(await units_seen(request))),
        can_manage=can(request, P.MANAGE_METERS),
        flash=flash(request, FLASH),
    )


# ---- register and change ------------------------------------------------------------------------


def _fields(request: Request) -> meters.MeterFields:
    form = request.form or {}
    return meters.MeterFields(
        code=field(request, "code"),
        name=field(request, "name"),
        kind=field(request, "kind"),
        role=field(request, "role") or MeterRole.CONSUMPTION.value,
        place_id=field(request, "place_id"),
        unit_id=field(request, "unit_id"),
        shared_unit_ids=tuple(form.getlist("shared_unit_ids") or ()),
        apportion=field(request, "apportion") or Apportion.NONE.value,
        model_id=field(request, "model_id"),
        endpoint=field(request, "endpoint"),
        device_address=field(request, "device_address"),
        control_secret=field(request, "control_secret"),
        clear_secret="clear_secret" in form,
        multiplier=field(request, "multiplier"),
        spike_limit=field(request, "spike_limit"),
        is_safety="is_safety" in form,
        installed_on=field(request, "installed_on"),
        replaced_on=field(request, "replaced_on"),
    )


async def _form_page(request: Request, editing: dict | None, form: dict, errors: FormErrors, status: int = 200):
    tree = await places.tree()
    return await page(
        request,
        "energy/meter_form.html",
        status=status,
        editing=editing,
        form=form,
        shared=set(form.get("shared_unit_ids") or ()),
        errors=errors,
        place_options=[(str(p["id"]), "　" * p["depth"] + p["name"]) for p in tree],
        unit_options=await unit_options(request),
        model_options=[(str(m["id"]), f"{m['name']}（{m['protocol_label']}）") for m in await meters.models()],
        kind_options=kind_options(),
        role_options=list(MeterRole.labels().items()),
        apportion_options=list(Apportion.labels().items()),
    )


def _typed(request: Request) -> dict:
    typed = posted(request)
    typed.pop("control_secret", None)  # a secret is never written back into a page
    typed["shared_unit_ids"] = (request.form or {}).getlist("shared_unit_ids") or []
    typed["is_safety"] = "is_safety" in (request.form or {})
    return typed


@bp.get("/meters/new")
@console_page(P.MANAGE_METERS)
async def new_meter(request: Request):
    return await _form_page(request, None, {**BLANK_METER, "installed_on": now().date().isoformat()}, FormErrors())


@bp.post("/meters")
@console_page(P.MANAGE_METERS)
async def create_meter(request: Request):
    created, errors = await attempt(
        lambda: meters.create_meter(actor(request), runtime(request).cipher, _fields(request)), METER_FIELDS
    )
    if created is None:
        return await _form_page(request, None, _typed(request), errors, 422)
    return redirect(f"/console/energy/meters/{created['id']}?done=created")


async def _meter_in_reach(request: Request, meter_id: int) -> dict:
    meter = await meters.meter_detail(meter_id)
    if not meters.reaches(meter, await units_seen(request)):
        raise AuthError.OUT_OF_SCOPE.error()
    return meter


def _editable(meter: dict) -> dict:
    return {
        **meter,
        "model_id": str(meter["model_id"] or ""),
        "unit_id": str(meter["unit_id"] or ""),
        "place_id": str(meter["place_id"]),
        "shared_unit_ids": [str(u) for u in meter["shared_unit_ids"]],
        "multiplier": str(meter["multiplier"]),
        "spike_limit": meters.milli_text(meter["spike_limit_milli"]).replace(",", "")
        if meter["spike_limit_milli"]
        else "",
        "installed_on": meter["installed_on"].isoformat(),
        "replaced_on": meter["replaced_on"].isoformat() if meter["replaced_on"] else "",
    }


@bp.get("/meters/<meter_id:int>/edit")
@console_page(P.MANAGE_METERS)
async def edit_meter(request: Request, meter_id: int):
    meter = await _meter_in_reach(request, meter_id)
    return await _form_page(request, meter, _editable(meter), FormErrors())


@bp.post("/meters/<meter_id:int>")
@console_page(P.MANAGE_METERS)
async def update_meter(request: Request, meter_id: int):
    meter = await _meter_in_reach(request, meter_id)
    saved, errors = await attempt(
        lambda: meters.update_meter(actor(request), runtime(request).cipher, meter_id, _fields(request)), METER_FIELDS
    )
    if saved is None:
        return await _form_page(request, meter, _typed(request), errors, 422)
    return redirect(f"/console/energy/meters/{meter_id}?done=saved")


@bp.post("/meters/<meter_id:int>/active")
@console_page(P.MANAGE_METERS)
async def set_active(request: Request, meter_id: int):
    await _meter_in_reach(request, meter_id)
    active = field(request, "active") == "1"
    await meters.set_active(actor(request), meter_id, active)
    return redirect(f"/console/energy/meters/{meter_id}?done={'enabled' if active else 'disabled'}")


# ---- one meter: readings and events -------------------------------------------------------------


async def _meter_page(request: Request, meter_id: int, status: int = 200, errors=None, typed=None):
    meter = await _meter_in_reach(request, meter_id)
    return await page(
        request,
        "energy/meter.html",
        status=status,
        meter=meter,
        measure=MEASURE[MeterKind(meter["kind"])],
        readings=await readings.recent_readings(meter_id),
        events=await meter_events.events_of(meter_id),
        event_options=list(MeterEventKind.labels().items()),
        can_manage=can(request, P.MANAGE_METERS),
        errors=errors or FormErrors(),
        typed=typed or {},
        flash=flash(request, FLASH),
    )


@bp.get("/meters/<meter_id:int>")
@console_page(P.VIEW_ENERGY)
async def meter(request: Request, meter_id: int):
    return await _meter_page(request, meter_id)


@bp.post("/meters/<meter_id:int>/readings")
@console_page(P.MANAGE_METERS)
async def manual_reading(request: Request, meter_id: int):
    await _meter_in_reach(request, meter_id)
    read_at = local_datetime(field(request, "read_at"))
    if read_at is None or read_at > now():
        errors = FormErrors({"read_at": "请填写抄表时间（不晚于现在）"})
        return await _meter_page(request, meter_id, 422, errors, {"form": "reading", **posted(request)})
    done, errors = await attempt(
        lambda: readings.record_manual(
            actor(request), meter_id, read_at, field(request, "value"), settings=settings(request)
        ),
        READING_FIELDS,
    )
    if done is None:
        return await _meter_page(request, meter_id, 422, errors, {"form": "reading", **posted(request)})
    return redirect(f"/console/energy/meters/{meter_id}?done=reading#readings")


@bp.post("/meters/<meter_id:int>/events")
@console_page(P.MANAGE_METERS)
async def record_event(request: Request, meter_id: int):
    await _meter_in_reach(request, meter_id)
    typed = {"form": "event", **posted(request)}
    errors = FormErrors()
    kind = next((k for k in MeterEventKind if k.value == field(request, "kind")), None)
    at = local_datetime(field(request, "at"))
    multiplier_text = field(request, "new_multiplier")
    if kind is None:
        errors["kind"] = "请选择事件类别"
    if at is None or at > now():
        errors["at"] = "请填写发生时间（不晚于现在）"
    if not (multiplier_text.isdigit() and len(multiplier_text) <= 6):
        errors["new_multiplier"] = "倍率应为 1 到 100000 的整数"
    if errors:
        return await _meter_page(request, meter_id, 422, errors, typed)
    done, errors = await attempt(
        lambda: meter_events.record_event(
            actor(request),
            meter_id,
            kind,
            at,
            field(request, "old_final"),
            field(request, "new_start"),
            int(multiplier_text),
            field(request, "reason"),
            settings=settings(request),
        ),
        EVENT_FIELDS,
    )
    if done is None:
        return await _meter_page(request, meter_id, 422, errors, typed)
    return redirect(f"/console/energy/meters/{meter_id}?done=event#events")


# ---- readings held for review -------------------------------------------------------------------


async def _held_page(request: Request, status: int = 200, errors=None, typed=None):
    return await page(
        request,
        "energy/held.html",
        status=status,
        held=await readings.held_readings(await units_seen(request)),
        can_review=can(request, P.MANAGE_METERS),
        errors=errors or FormErrors(),
        typed=typed or {},
        flash=flash(request, FLASH),
    )


@bp.get("/readings/held")
@console_page(P.VIEW_ENERGY)
async def held(request: Request):
    return await _held_page(request)


@bp.post("/readings/<reading_id:int>/review")
@console_page(P.MANAGE_METERS)
async def review(request: Request, reading_id: int):
    """Accept (decision=accept) or reject (decision=reject) a held reading, with a note."""
    decision = field(request, "decision")
    typed = {"reading_id": reading_id, "note": field(request, "note")[:200]}
    if decision not in ("accept", "reject"):
        return await _held_page(request, 422, FormErrors({"note": "请选择确认或作废"}), typed)
    done, errors = await attempt(
        lambda: readings.review(
            actor(request), reading_id, decision == "accept", field(request, "note"), settings=settings(request)
        ),
        REVIEW_FIELDS,
    )
    if done is None:
        return await _held_page(request, 422, errors, typed)
    return redirect("/console/energy/readings/held?done=reviewed")


# ---- import -------------------------------------------------------------------------------------


@bp.get("/readings/import")
@console_page(P.MANAGE_METERS)
async def import_page(request: Request):
    return await page(request, "energy/import.html", report=None, problems=[], errors=FormErrors())


@bp.get("/readings/import-template.xlsx")
@console_page(P.MANAGE_METERS)
async def import_template(request: Request):
    return xlsx_download(reading_import.import_template(), "抄表读数导入模板.xlsx")


@bp.post("/readings/import")
@console_page(P.MANAGE_METERS)
async def import_readings(request: Request):
    """Check the workbook (dry_run=1) or import it; either way the page says what it found, a
    refused file every bad cell by line and column."""
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return await page(
            request,
            "energy/import.html",
            status=422,
            report=None,
            problems=[],
            errors=FormErrors({"file": "请选择 .xlsx 文件"}),
        )
    dry_run = field(request, "dry_run") == "1"
    try:
        report = await reading_import.import_readings(
            actor(request), upload.name or "", upload.body, dry_run, settings=settings(request)
        )
    except AppError as refusal:
        if refusal.code != IMPORT_INVALID:
            raise
        details = refusal.details if isinstance(refusal.details, dict) else {}
        return await page(
            request,
            "energy/import.html",
            status=422,
            report=None,
            problems=details.get("problems") or [],
            errors=FormErrors({"file": refusal.message}),
        )
    return await page(request, "energy/import.html", report=report, problems=[], errors=FormErrors())


# ---- meter models -------------------------------------------------------------------------------


def _number(text: str) -> int | float | str:
    """A register-map number as typed: an integer or a decimal, else the text (refused by the map)."""
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _register_map(request: Request) -> dict:
    raw: dict = {
        "function": field(request, "function"),
        "address": _number(field(request, "address")),
        "data_type": field(request, "data_type"),
        "word_order": field(request, "word_order") or "big",
        "milli_per_count": _number(field(request, "milli_per_count")),
    }
    if coil := field(request, "coil"):
        raw["coil"] = _number(coil)
    return raw


async def _models_page(request: Request, status: int = 200, form=None, errors=None):
    in_use = dict(
        await Meter.filter(model_id__isnull=False)
        .annotate(count=Count("id"))
        .group_by("model_id")
        .values_list("model_id", "count")
    )
    return await page(
        request,
        "energy/models.html",
        status=status,
        models=[{**m, "meters": in_use.get(m["id"], 0)} for m in await meters.models()],
        can_manage=can(request, P.MANAGE_METERS),
        protocol_options=[(p.value, p.label) for p in Protocol if p is not Protocol.MANUAL],
        form=form
        or {"protocol": Protocol.MODBUS_TCP.value, "function": "holding", "data_type": "uint32", "word_order": "big"},
        errors=errors or FormErrors(),
        flash=flash(request, FLASH),
    )


@bp.get("/models")
@console_page(P.VIEW_ENERGY)
async def model_list(request: Request):
    return await _models_page(request)


@bp.post("/models")
@console_page(P.MANAGE_METERS)
async def create_model(request: Request):
    protocol = next((p for p in Protocol if p.value == field(request, "protocol")), None)
    if protocol is None:
        return await _models_page(request, 422, posted(request), FormErrors({"protocol": "请选择通信协议"}))
    made, errors = await attempt(
        lambda: meters.create_model(
            actor(request),
            field(request, "name"),
            protocol,
            _register_map(request) if protocol is Protocol.MODBUS_TCP else {},
            "can_switch" in (request.form or {}),
        ),
        MODEL_FIELDS,
    )
    if made is None:
        return await _models_page(request, 422, posted(request), errors)
    return redirect("/console/energy/models?done=model")
