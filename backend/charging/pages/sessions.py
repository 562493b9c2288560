"""Console pages of charging sessions (充电记录): the list with filters and its Excel export, and a
session's page with its meter samples, its bill (energy per price band, what was paid and what
is owed) and the incidents recorded instead of billed."""

from __future__ import annotations

from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request

from backend.charging.errors import ChargingError
from backend.charging.models import Band, Bill, Command, Incident, MeterValue, PayerKind, Session, SessionState
from backend.charging.pages.common import VIEW, payer_names, pile_options
from backend.charging.service.commands import Action
from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.timeutil import BUSINESS_TZ, day_start, parse_day

bp = Blueprint("console_charging_sessions", url_prefix="/console/charging")

SESSIONS = Table(
    title="充电记录",
    columns=(
        Column("id", "编号", sort="id", href="/console/charging/sessions/{id}"),
        Column("pile_name", "充电桩"),
        Column("connector_id", "枪号", kind="count"),
        Column("payer_kind_label", "付款方式"),
        Column("payer", "付款人"),
        Column("started_at", "开始", sort="started_at", kind="datetime"),
        Column("stopped_at", "结束", sort="stopped_at", kind="datetime"),
        Column("kwh", "电量（千瓦时）", numeric=True),
        Column("amount_fen", "金额", kind="money"),
        Column("state_label", "状态", sort="state"),
    ),
    default_sort="-started_at",
    filters=(
        Filter("q", "卡号", max_length=20),
        Filter("pile", "充电桩", kind="select"),
        Filter("state", "状态", kind="select", options=tuple(SessionState.labels().items())),
        Filter("payer", "付款方式", kind="select", options=tuple(PayerKind.labels().items())),
        Filter("from", "开始日期起", kind="date"),
        Filter("to", "开始日期止", kind="date"),
    ),
)


def _row(session: Session) -> dict:
    last = session.meter_stop_wh if session.meter_stop_wh is not None else session.meter_last_wh
    energy = last - session.meter_start_wh
    return {
        "id": session.id,
        "pile_name": f"{session.pile.name}（{session.pile.box_id}）",
        "connector_id": session.connector_id,
        "id_tag": session.id_tag,
        "payer_kind": session.payer_kind.value,
        "payer_kind_label": session.payer_kind.label,
        "person_id": session.person_id,
        "vehicle_id": session.vehicle_id,
        "unit_id": session.unit_id,
        "started_at": session.started_at,
        "stopped_at": session.stopped_at,
        "kwh": f"{max(energy, 0) / 1000:.2f}",
        # A running session shows its estimate, a billed one its bill (added by _with_bills).
        "amount_fen": session.running_fen,
        "state": session.state.value,
        "state_label": session.state.label,
    }


async def _with_bills(rows: list[dict]) -> list[dict]:
    bills = {b.session_id: b for b in await Bill.filter(session_id__in=[r["id"] for r in rows])}
    for row in rows:
        if bill := bills.get(row["id"]):
            row["amount_fen"] = bill.amount_fen
            row["kwh"] = f"{bill.energy_wh / 1000:.2f}"
    await payer_names(rows)
    return rows


async def _sessions_state(request: Request):
    state = SESSIONS.with_options("pile", tuple(await pile_options())).state(request)
    query = Session.all().select_related("pile")
    filters = state.filters
    if q := filters["q"]:
        query = query.filter(id_tag__icontains=q)
    if pile := filters["pile"]:
        query = query.filter(pile_id=int(pile))
    if filters["state"]:
        query = query.filter(state=filters["state"])
    if filters["payer"]:
        query = query.filter(payer_kind=filters["payer"])
    if since := parse_day(filters["from"]):
        query = query.filter(started_at__gte=day_start(since))
    if until := parse_day(filters["to"]):
        query = query.filter(started_at__lt=day_start(until + timedelta(days=1)))
    return state, query


@bp.get("/sessions")
@console_page(VIEW)
async def sessions(request: Request):
    state, query = await _sessions_state(request)
    await fetch(state, query, _row)
    await _with_bills(state.result.items)
    return await page(request, "charging/sessions.html", state=state)


@bp.get("/sessions/export.xlsx")
@console_page(VIEW)
async def sessions_export(request: Request):
    state, query = await _sessions_state(request)
    rows = await _with_bills([_row(s) for s in await query.order_by(*state.ordering())])
    by_id = {r["id"]: r for r in rows}
    return await export(state, query, lambda s: by_id[s.id], "充电记录")


@bp.get("/sessions/<session_id:int>")
@console_page(VIEW)
async def session(request: Request, session_id: int):
    found = await Session.get_or_none(id=session_id).select_related("pile", "tariff")
    if found is None:
        raise ChargingError.SESSION_NOT_FOUND.error()
    row = (await _with_bills([_row(found)]))[0]
    bill = await Bill.get_or_none(session_id=session_id)
    bands = []
    if bill is not None:
        bands = [{"label": Band(b).label, "kwh": f"{wh / 1000:.2f}"} for b, wh in bill.bands.items() if wh]
    samples = await MeterValue.filter(session_id=session_id).order_by("at")
    incidents = await Incident.filter(session_id=session_id).order_by("at")
    # Commands about this transaction (remote stop, power limit) name it in their payload; JSON
    # lookups differ between databases, so the pile's commands of the session's time are read.
    sent = Command.filter(pile_id=found.pile_id, sent_at__gte=found.started_at)
    if found.stopped_at is not None:
        sent = sent.filter(sent_at__lte=found.stopped_at + timedelta(hours=1))
    commands = [c for c in await sent.order_by("sent_at") if c.payload.get("transaction_id") == session_id]
    return await page(
        request,
        "charging/session.html",
        session=found,
        row=row,
        bill=bill,
        bands=bands,
        samples=[
            {
                "at": s.at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S"),
                "kwh": f"{(s.energy_wh - found.meter_start_wh) / 1000:.3f}",
                "register": s.energy_wh,
                "power_kw": f"{s.power_w / 1000:.1f}" if s.power_w is not None else "",
                "soc": s.soc,
            }
            for s in samples
        ],
        incidents=incidents,
        commands=commands,
        action_labels=Action.labels(),
    )
