"""Console page of disposals (资产处置): every request with its approval's progress, those
approved waiting first, and the record of how an approved one was done (document number,
receiving body, an auction's proceeds in yuan), which makes the asset 已处置. Requests are made
by asset officers and decided by approvers in the mini-program, never here."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.assets.models import DisposalState
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import DisposalRecordIn
from backend.assets.service import disposals
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.timeutil import now
from backend.core.web.validation import query_int

bp = Blueprint("assets_disposal_pages", url_prefix="/console/assets/disposals")

FLASH = {"recorded": "已登记处置结果，资产状态为“已处置”"}
STATES = [*((s.value, s.label) for s in DisposalState), ("all", "全部")]
PAGE_SIZE = 30


def _state(request: Request) -> DisposalState | None:
    value = request.args.get("state", DisposalState.APPROVED.value)
    return DisposalState(value) if value in DisposalState._value2member_map_ else None


async def _disposals_page(request: Request, status: int = 200, errors: dict | None = None):
    state = _state(request)
    return await page(
        request,
        "assets/disposals.html",
        status=status,
        flash=flash(request, FLASH),
        listed=await disposals.listing(query_int(request, "page", 1, 1, 10_000), PAGE_SIZE, state),
        state=state.value if state else "all",
        states=STATES,
        record_errors=errors or {},
    )


@bp.get("")
@console_page(P.RECORD_DISPOSAL)
async def disposals_page(request: Request):
    return await _disposals_page(request)


@bp.post("/<disposal_id:int>/record")
@console_page(P.RECORD_DISPOSAL)
async def record(request: Request, disposal_id: int):
    _, errors = await submit(
        DisposalRecordIn,
        form_data(request),
        lambda body: disposals.record_done(
            actor(request), disposal_id, body.recipient, body.proceeds_fen, body.document_no, now()
        ),
        yuan=("proceeds_fen",),
    )
    if not errors:
        return redirect("/console/assets/disposals?state=done&done=recorded")
    return await _disposals_page(request, 422, {disposal_id: FormErrors({"": "；".join(errors.values())})})
