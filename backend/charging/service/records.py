"""Charging sessions as staff look them up (充电记录): the list with its filters, each row with who
pays and what it came to (the bill once billed, the running estimate before), and one session
whole with its meter samples, bill, incidents and the commands sent about it. The console page
and the console API read the same rows from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.queryset import QuerySet

from backend.accounts.service import people
from backend.charging.errors import ChargingError
from backend.charging.models import (
    Bill,
    Command,
    Incident,
    IncidentKind,
    MeterValue,
    PayerKind,
    Session,
    SessionState,
    Tag,
    TagKind,
)
from backend.charging.service import piles
from backend.charging.service.billing import bill_view
from backend.charging.service.commands import Action
from backend.core.timeutil import day_start
from backend.wallet.service.wallets import mask_uid


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a list shows: a card number (part of it), one pile, a state, a payer kind,
    and the business days they started in (both ends included)."""

    id_tag: str = ""
    pile_id: int | None = None
    state: SessionState | None = None
    payer: PayerKind | None = None
    since: date | None = None
    until: date | None = None


def sessions_query(which: SessionFilter) -> QuerySet[Session]:
    query = Session.all().select_related("pile")
    if which.id_tag:
        query = query.filter(id_tag__icontains=which.id_tag)
    if which.pile_id:
        query = query.filter(pile_id=which.pile_id)
    if which.state:
        query = query.filter(state=which.state)
    if which.payer:
        query = query.filter(payer_kind=which.payer)
    if which.since:
        query = query.filter(started_at__gte=day_start(which.since))
    if which.until:
        query = query.filter(started_at__lt=day_start(which.until + timedelta(days=1)))
    return query


def session_row(session: Session) -> dict:
    """A session of the list (its pile loaded); `with_bills` completes it."""
    last = session.meter_stop_wh if session.meter_stop_wh is not None else session.meter_last_wh
    energy = max(last - session.meter_start_wh, 0)
    return {
        "id": session.id,
        "pile_id": session.pile_id,
        "pile_name": f"{session.pile.name}（{session.pile.box_id}）",
        "box_id": session.pile.box_id,
        "connector_id": session.connector_id,
        "id_tag": mask_uid(session.id_tag),
        "payer_kind": session.payer_kind.value,
        "payer_kind_label": session.payer_kind.label,
        "person_id": session.person_id,
        "vehicle_id": session.vehicle_id,
        "unit_id": session.unit_id,
        "started_at": session.started_at,
        "stopped_at": session.stopped_at,
        "energy_wh": energy,
        "kwh": f"{energy / 1000:.2f}",
        # A running session shows its estimate, a billed one its bill (put in by with_bills).
        "amount_fen": session.running_fen,
        "billed": False,
        "state": session.state.value,
        "state_label": session.state.label,
    }


async def with_bills(rows: list[dict]) -> list[dict]:
    """The rows with their bills' energy and amount where billed, and who pays named."""
    bills = {b.session_id: b for b in await Bill.filter(session_id__in=[r["id"] for r in rows])}
    for row in rows:
        if bill := bills.get(row["id"]):
            row["amount_fen"] = bill.amount_fen
            row["energy_wh"] = bill.energy_wh
            row["kwh"] = f"{bill.energy_wh / 1000:.2f}"
            row["billed"] = True
    await payer_names(rows)
    return rows


async def payer_names(rows: list[dict]) -> None:
    """Name each session row's payer: the cadre for a wallet, the car and its unit for the fleet,
    and say so when nobody pays (an unknown card)."""
    people_ids = {r["person_id"] for r in rows if r["person_id"]}
    names = {p.id: p.name for p in await people.people_summaries(people_ids)}
    units = await people.units_by_id({r["unit_id"] for r in rows if r["unit_id"]})
    plates = await piles.plates({r["vehicle_id"] for r in rows if r["vehicle_id"]})
    for row in rows:
        if row["payer_kind"] == PayerKind.WALLET.value:
            row["payer"] = names.get(row["person_id"], "")
        elif row["payer_kind"] == PayerKind.FLEET.value:
            unit = units.get(row["unit_id"])
            row["payer"] = f"{plates.get(row['vehicle_id'], '')}（{unit.name if unit else ''}）"
        else:
            row["payer"] = "无付款人"


async def session_detail(session_id: int) -> dict:
    """One session whole: its row, the session and its bill (model rows, for the page), the
    bill as a view, the meter samples in time order, its incidents and the commands sent about
    it. SESSION_NOT_FOUND when there is none."""
    found = await Session.get_or_none(id=session_id).select_related("pile", "tariff")
    if found is None:
        raise ChargingError.SESSION_NOT_FOUND.error()
    row = (await with_bills([session_row(found)]))[0]
    bill = await Bill.get_or_none(session_id=session_id)
    samples = await MeterValue.filter(session_id=session_id).order_by("at")
    incidents = (
        await Incident.filter(session_id=session_id)
        .order_by("at")
        .values("id", "kind", "at", "resolved_at", "resolution_note")
    )
    # Commands about this transaction (remote stop, power limit) name it in their payload; JSON
    # lookups differ between databases, so the pile's commands of the session's time are read.
    sent = Command.filter(pile_id=found.pile_id, sent_at__gte=found.started_at)
    if found.stopped_at is not None:
        sent = sent.filter(sent_at__lte=found.stopped_at + timedelta(hours=1))
    commands = [c for c in await sent.order_by("sent_at") if c.payload.get("transaction_id") == session_id]
    actions = Action.labels()
    return {
        "row": row,
        "session": found,
        "bill": bill,
        "bill_view": None if bill is None else bill_view(bill, found),
        "samples": [
            {
                "at": s.at,
                "energy_wh": s.energy_wh,
                "charged_wh": s.energy_wh - found.meter_start_wh,
                "power_w": s.power_w,
                "soc": s.soc,
            }
            for s in samples
        ],
        "incidents": [
            {
                "id": i["id"],
                "kind": IncidentKind(i["kind"]).value,
                "kind_label": IncidentKind(i["kind"]).label,
                "at": i["at"],
                "resolved_at": i["resolved_at"],
                "note": i["resolution_note"],
            }
            for i in incidents
        ],
        "commands": [
            {
                "id": c.id,
                "action": c.action,
                "action_label": actions.get(c.action, "其他指令"),
                "state": c.state.value,
                "state_label": c.state.label,
                "sent_at": c.sent_at,
                "answered_at": c.answered_at,
            }
            for c in commands
        ],
    }


async def describe_tags(ids: list[int]) -> dict[int, str]:
    """How the audit log names charging cards: their kind and masked number, never the whole
    number (a UID-only card is cloned from it)."""
    rows = await Tag.filter(id__in=ids).values("id", "kind", "id_tag")
    return {row["id"]: f"{TagKind(row['kind']).label} {mask_uid(row['id_tag'])}" for row in rows}
