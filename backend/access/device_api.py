"""The gates-and-visitors API for gate terminals (signed device requests): what a terminal needs to
decide offline, the online decision on a scanned pass or a staff card, and the upload of the
decisions it took offline. Only a device bound to an active gate is answered."""

from __future__ import annotations

from functools import wraps

from pydantic import BaseModel
from sanic import Blueprint
from sanic.exceptions import BadRequest
from sanic.request import Request

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import Gate
from backend.access.schemas import CardIn, DecisionOut, GateSyncOut, JournalIn, JournalOut, ScanIn
from backend.access.service import events, gatecheck
from backend.accounts.guards import device_signed, runtime
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.core.web.apidocs import Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import parse_model
from backend.modules import settings_of

bp = Blueprint("access_device", url_prefix="/device/v1/access")


def _accepts(model: type[BaseModel]):
    """As `validation.accepts`, refused as `access.event_invalid`: the terminal keeps the event
    in its journal and shows the guard the problem."""

    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            try:
                data = request.json
            except BadRequest:
                data = None
            try:
                kwargs["body"] = parse_model(model, data if isinstance(data, dict) else None)
            except AppError as exc:
                fields = (exc.details or {}).get("fields") or [{"field": "body", "message": "应为 JSON 对象"}]
                problem = "；".join(f"{f['field']} {f['message']}" for f in fields[:3])
                raise AccessError.EVENT_INVALID.error(details={"fields": fields}, problem=problem) from None
            return await handler(request, *args, **kwargs)

        vars(wrapper)["openapi_body"] = model
        return wrapper

    return decorator


async def _gate_id(request: Request) -> int:
    found = await Gate.filter(device_id=request.ctx.principal.device_id, is_active=True).values_list("id", flat=True)
    if not found:
        raise AccessError.NOT_A_GATE_TERMINAL.error()
    return found[0]


def _settings(request: Request) -> AccessSettings:
    return settings_of(runtime(request).settings, "access")


@bp.get("/sync")
@api(
    "闸机终端同步脱机核验数据",
    GateSyncOut,
    query=(Query("version", "终端已有的通行证版本"), Query("cards_version", "终端已有的职工卡版本")),
)
@device_signed
async def sync(request: Request):
    """The gate, the public key and QR time step, revoked passes and entries used (left out
    while `?version=` is current) and hashed staff card UIDs (left out while `?cards_version=`
    is current)."""
    rt = runtime(request)
    return ok(
        await gatecheck.terminal_sync(
            rt.settings.data_key,
            _settings(request),
            await _gate_id(request),
            now(),
            request.args.get("version", ""),
            request.args.get("cards_version", ""),
        )
    )


@bp.post("/scan")
@api("闸机终端联机核验通行码", DecisionOut)
@device_signed
@_accepts(ScanIn)
async def scan(request: Request, body: ScanIn):
    """Decide a scanned pass: 200 either way (a refusal is a decision, with its reason and the
    words for the screen); the same `event_no` again gets the same decision, booked once."""
    gate_id = await _gate_id(request)
    rt = runtime(request)
    decision = await gatecheck.scan(rt.settings.data_key, _settings(request), gate_id, body.token, body.event_no, now())
    return ok(decision.view())


@bp.post("/card")
@api("闸机终端联机核验职工卡", DecisionOut)
@device_signed
@_accepts(CardIn)
async def card(request: Request, body: CardIn):
    """Decide a staff card, as /scan does a pass."""
    gate_id = await _gate_id(request)
    return ok((await gatecheck.card(gate_id, body.card_uid, body.event_no, now())).view())


@bp.post("/events")
@api("闸机终端上传脱机通行记录", JournalOut)
@device_signed
@_accepts(JournalIn)
async def upload(request: Request, body: JournalIn):
    """Book the decisions taken offline, each event number once (`duplicate` after that)."""
    gate_id = await _gate_id(request)
    rt = runtime(request)
    results = await events.upload(
        rt.settings.data_key, _settings(request), gate_id, [event.model_dump() for event in body.events]
    )
    return ok({"results": results})
