"""Pass slips of walk-in visitors: the single-entry slip pass's signed token printed as a QR code
on the guard post's receipt printer (the gate's `printer_uri`), with the visitor's masked name,
the host, the window and 单次有效; the same content serves the printable HTML slip the guard
prints from the browser when the receipt printer is missing or fails."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Gate, PassKind, Visit, VisitPass, VisitState
from backend.access.service import passes, personal
from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ, now
from backend.places import service as places
from hardware.printer import ReceiptPrinter
from hardware.receipt import Receipt
from hardware.status import DeviceState, DeviceStatus
from hardware.uri import printer_from_uri

# One printer object per gate for the process, rebuilt when the gate's printer URI changes: a
# simulated printer keeps what it printed, and an ESC/POS printer its lock.
_printers: dict[int, tuple[str, ReceiptPrinter]] = {}
NO_PRINTER = DeviceStatus(DeviceState.DISCONNECTED, "本门岗未配置小票打印机，请打印网页版通行条")


def window_text(visit: Visit) -> str:
    start, end = visit.window_start.astimezone(BUSINESS_TZ), visit.window_end.astimezone(BUSINESS_TZ)
    tail = end.strftime("%H:%M") if start.date() == end.date() else end.strftime("%m-%d %H:%M")
    return f"{start.strftime('%m-%d %H:%M')}—{tail}"


async def slip(data_key: bytes, visit_id: int) -> dict:
    """What a slip shows: the token for its QR code and the visit's details, masked. Only a
    visit the host agreed to and not ended has one."""
    visit = await Visit.get_or_none(id=visit_id)
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    live = (
        await VisitPass.filter(visit_id=visit.id, kind=PassKind.SLIP, revoked_at=None).order_by("-id").first()
        if visit.state in (VisitState.READY, VisitState.INSIDE)
        else None
    )
    if live is None:
        raise AccessError.VISIT_STATE.error(state=visit.state.label, action="打印通行条")
    host = await people.person_summary(visit.host_id)
    buildings = await places.full_names(visit.building_ids)
    return {
        "visit_id": visit.id,
        "code": visit.code,
        "token": await passes.slip_token(data_key, live.id),
        "name": personal.mask_name(visit.visitor_name),
        "host": personal.mask_name(host.name),
        "window": window_text(visit),
        "buildings": "、".join(buildings.get(b, "") for b in visit.building_ids),
        "people": 1 + len(visit.companions),
    }


def _printer(gate: Gate) -> ReceiptPrinter | DeviceStatus:
    """The gate's printer, or the status saying its configured URI is unusable."""
    known = _printers.get(gate.id)
    if known is None or known[0] != gate.printer_uri:
        try:
            known = (gate.printer_uri, printer_from_uri(gate.printer_uri))
        except ValueError:
            return DeviceStatus(DeviceState.ERROR, "小票打印机地址设置有误，请联系管理员")
        _printers[gate.id] = known
    return known[1]


def printer_of(gate_id: int) -> ReceiptPrinter | None:
    """The printer object this process prints a gate's slips on (None before the first print)."""
    known = _printers.get(gate_id)
    return known[1] if known else None


async def print_slip(data_key: bytes, visit_id: int, gate_id: int, *, actor: Actor | None = None) -> DeviceStatus:
    """Print the visit's slip at this guard post. A missing or failing printer is a status to
    show, never an exception; what was sent is audited (`access.print_slip`) when an admin asked."""
    gate = await Gate.get_or_none(id=gate_id)
    if gate is None:
        raise AccessError.GATE_NOT_FOUND.error()
    content = await slip(data_key, visit_id)
    if not gate.printer_uri:
        return NO_PRINTER
    receipt = Receipt(
        title="访客通行条",
        lines=[
            ("访客", content["name"]),
            ("被访人", content["host"]),
            ("到访楼宇", content["buildings"]),
            ("有效时间", content["window"]),
            ("人数", f"{content['people']} 人"),
            ("通行", "单次有效"),
        ],
        time=now().astimezone(BUSINESS_TZ),
        transaction_no=content["code"],
        qr=content["token"],
    )
    printer = _printer(gate)
    if isinstance(printer, DeviceStatus):
        return printer
    result = await printer.print_receipt(receipt)
    if actor is not None:
        async with in_transaction() as conn:
            await record(
                conn,
                actor,
                "access.print_slip",
                "visit",
                visit_id,
                after={"gate_id": gate.id, "printed": result.printed, "printer_state": result.status.state.value},
            )
    return result.status
