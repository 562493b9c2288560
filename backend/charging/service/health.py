"""Health of the charging piles (故障与异常): which piles are offline, the connectors' faults open
and past with how long they lasted, and the incidents (what a pile reported that was recorded
rather than billed as sent) that staff look into and mark resolved.

Offline is worked out when it is read, from each pile's `last_seen_at` and its own heartbeat
interval: a pile silent for two intervals (one heartbeat may be late or lost) is offline, and
one never heard from is offline too. Nothing has to run to keep this true, so a stopped worker
or job cannot leave a dead pile shown online."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from backend.charging.errors import ChargingError
from backend.charging.models import Fault, Incident, IncidentKind, Pile, Session, SessionState

# One list of the error codes' Chinese for the board, the pile page and this page.
from backend.charging.service.piles import ERROR_LABELS
from backend.core.audit import Actor, record
from backend.core.money import format_yuan
from backend.core.pagination import Page, paginate
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet.service.wallets import mask_uid

# Heartbeat intervals a pile may stay silent before it counts as offline.
SILENT_HEARTBEATS = 2
NOTE_MAX = 200

# The keys an incident's detail may carry, in the words staff read; others are shown as they are.
DETAIL_LABELS = {
    "transaction_id": "交易号",
    "id_tag": "卡号",
    "connector_id": "枪号",
    "meter_start_wh": "开始读数（Wh）",
    "meter_stop_wh": "结束读数（Wh）",
    "meter_last_wh": "最后读数（Wh）",
    "used_wh": "采用读数（Wh）",
    "energy_wh": "读数（Wh）",
    "previous_wh": "前一读数（Wh）",
    "started_at": "开始时间",
    "stopped_at": "结束时间",
    "received_at": "收到时间",
    "samples": "读数",
    "count": "读数条数",
    "amount_fen": "应付金额",
    "paid_fen": "已付金额",
    "shortfall_fen": "欠费",
    "running_fen": "累计费用",
    "cash_fen": "现金余额",
    "other_session_id": "另一笔充电",
    "reason": "原因",
}


def error_label(code: str) -> str:
    """A connector's error code as staff read it."""
    return ERROR_LABELS.get(code, code)


def is_online(last_seen_at: datetime | None, heartbeat_s: int, at: datetime) -> bool:
    """Whether a pile last heard from at `last_seen_at` counts as online at `at`."""
    return last_seen_at is not None and at - last_seen_at <= timedelta(seconds=SILENT_HEARTBEATS * heartbeat_s)


def duration_text(seconds: float) -> str:
    """A duration as staff read it: 3 天 4 小时, 2 小时 5 分, 7 分钟."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} 天 {hours} 小时"
    if hours:
        return f"{hours} 小时 {minutes} 分"
    return f"{minutes} 分钟"


# ---- piles: online and offline ----------------------------------------------------------------------


async def pile_states(at: datetime) -> list[dict]:
    """Every active pile with its site, when it was last heard from and whether it is online at
    `at`; offline first (those silent longest first), then by site and name."""
    rows = await Pile.filter(is_active=True).values(
        "id", "box_id", "name", "site__name", "heartbeat_s", "last_seen_at", "booted_at", "firmware_status"
    )
    piles = []
    for row in rows:
        online = is_online(row["last_seen_at"], row["heartbeat_s"], at)
        silent = None if row["last_seen_at"] is None else (at - row["last_seen_at"]).total_seconds()
        piles.append(
            {
                "id": row["id"],
                "box_id": row["box_id"],
                "name": row["name"],
                "site": row["site__name"],
                "heartbeat_s": row["heartbeat_s"],
                "last_seen_at": row["last_seen_at"],
                "booted_at": row["booted_at"],
                "online": online,
                "silent": "从未连接" if silent is None else duration_text(silent),
                "silent_s": silent,
            }
        )
    never = float("inf")
    return sorted(
        piles,
        key=lambda p: (p["online"], -(never if p["silent_s"] is None else p["silent_s"]), p["site"], p["name"]),
    )


async def offline_piles(at: datetime) -> list[dict]:
    """The active piles offline at `at`, those silent longest first."""
    return [p for p in await pile_states(at) if not p["online"]]


# ---- faults ----------------------------------------------------------------------------------------


def _fault_view(row: dict, at: datetime) -> dict:
    end = row["cleared_at"] or at
    return {
        "id": row["id"],
        "pile_id": row["pile_id"],
        "pile": row["pile__name"],
        "box_id": row["pile__box_id"],
        "site": row["pile__site__name"],
        "connector_id": row["connector_id"],
        "connector": "整桩" if row["connector_id"] == 0 else f"{row['connector_id']} 号枪",
        "error_code": row["error_code"],
        "error": error_label(row["error_code"]),
        "info": row["info"],
        "vendor_error_code": row["vendor_error_code"],
        "started_at": row["started_at"],
        "cleared_at": row["cleared_at"],
        "open": row["cleared_at"] is None,
        "duration_s": int((end - row["started_at"]).total_seconds()),
        "duration": duration_text((end - row["started_at"]).total_seconds()),
    }


FAULT_VALUES = (
    "id",
    "pile_id",
    "pile__name",
    "pile__box_id",
    "pile__site__name",
    "connector_id",
    "error_code",
    "info",
    "vendor_error_code",
    "started_at",
    "cleared_at",
)


async def open_faults(at: datetime) -> list[dict]:
    """Faults not yet cleared, the oldest first, each with how long it has lasted by `at`."""
    rows = await Fault.filter(cleared_at__isnull=True).order_by("started_at", "id").values(*FAULT_VALUES)
    return [_fault_view(row, at) for row in rows]


async def fault_history(at: datetime, page: int, page_size: int, pile_id: int | None = None) -> Page:
    """Every fault (open ones too), the latest first, with its duration (to `at` while open)."""
    faults = Fault.all() if pile_id is None else Fault.filter(pile_id=pile_id)
    return await paginate(
        faults, page, page_size, order_by=("-started_at", "-id"), values=FAULT_VALUES, view=lambda r: _fault_view(r, at)
    )


# ---- incidents -------------------------------------------------------------------------------------


def _detail_lines(detail: Any) -> list[str]:
    if not isinstance(detail, dict):
        return [str(detail)] if detail else []
    # PostgreSQL's jsonb keeps keys in its own order: show the known ones in a fixed order, the rest after.
    known = list(DETAIL_LABELS)
    keys = sorted(detail, key=lambda k: (known.index(k) if k in known else len(known), k))
    return [f"{DETAIL_LABELS.get(key, key)}：{_detail_value(key, detail[key])}" for key in keys]


def _moment(text: str) -> str:
    """An ISO time kept in a detail in business time to the second; anything else as it is."""
    try:
        return datetime.fromisoformat(text).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def _detail_value(key: str, value: Any) -> str:
    """A detail's value as staff read it: money in yuan, times in business time, meter samples
    as time and reading."""
    if key == "id_tag" and isinstance(value, str):
        # Incidents written before UIDs were kept out of details still carry one.
        return mask_uid(value)
    if key.endswith("_fen") and isinstance(value, int):
        return f"{format_yuan(value)} 元"
    if key.endswith("_at") and isinstance(value, str):
        return _moment(value)
    if isinstance(value, list):
        return "；".join(
            f"{_moment(str(v.get('at', '')))} {v.get('energy_wh')} Wh" if isinstance(v, dict) else str(v) for v in value
        )
    return str(value)


def _incident_view(row: dict) -> dict:
    kind = IncidentKind(row["kind"])
    return {
        "id": row["id"],
        "kind": kind.value,
        "kind_label": kind.label,
        "pile": row["pile__name"] or "",
        "box_id": row["pile__box_id"] or "",
        "session_id": row["session_id"],
        "detail": _detail_lines(row["detail"]),
        "at": row["at"],
        "resolved_at": row["resolved_at"],
        "resolved_by": row["resolved_by__username"] or "",
        "note": row["resolution_note"],
    }


INCIDENT_VALUES = (
    "id",
    "kind",
    "pile__name",
    "pile__box_id",
    "session_id",
    "detail",
    "at",
    "resolved_at",
    "resolved_by__username",
    "resolution_note",
)


@dataclass(frozen=True)
class IncidentFilter:
    """Which incidents a list shows: open or resolved (None: both), of one kind (None: all)."""

    resolved: bool | None = False
    kind: IncidentKind | None = None


async def incidents(which: IncidentFilter, page: int, page_size: int) -> Page:
    """Incidents the filter picks, the latest first."""
    query = Incident.all()
    if which.resolved is not None:
        query = query.filter(resolved_at__isnull=not which.resolved)
    if which.kind is not None:
        query = query.filter(kind=which.kind)
    return await paginate(query, page, page_size, order_by=("-at", "-id"), values=INCIDENT_VALUES, view=_incident_view)


async def resolve_incident(actor: Actor, incident_id: int, note: str, at: datetime) -> dict:
    """Staff mark an incident looked into, saying what they found or did: the incident keeps
    when, who (the admin; none for the command line) and the note, and the audit log
    `charging.resolve_incident` has it too. Once only: a second resolve, from the same form sent twice or
    a colleague at the same time, is refused and changes nothing."""
    note = (note or "").strip()
    if not 1 <= len(note) <= NOTE_MAX:
        raise ChargingError.RESOLUTION_NOTE_INVALID.error(max=NOTE_MAX)
    incident = await Incident.get_or_none(id=incident_id)
    if incident is None:
        raise ChargingError.INCIDENT_NOT_FOUND.error()
    async with in_transaction() as conn:
        # One conditional update: of two staff resolving at once, one wins and the other is told.
        done = (
            await Incident.filter(id=incident_id, resolved_at__isnull=True)
            .using_db(conn)
            .update(resolved_at=at, resolved_by_id=actor.admin_id, resolution_note=note)
        )
        if not done:
            raise ChargingError.INCIDENT_RESOLVED.error()
        await record(
            conn,
            actor,
            "charging.resolve_incident",
            "incident",
            incident_id,
            {"kind": incident.kind.value, "kind_label": incident.kind.label, "resolved": False},
            {"kind": incident.kind.value, "kind_label": incident.kind.label, "resolved": True, "note": note},
        )
    row = await Incident.filter(id=incident_id).values(*INCIDENT_VALUES)
    return _incident_view(row[0])


# ---- the dashboard's figures ----------------------------------------------------------------------


async def summary(at: datetime) -> dict:
    """Piles online and offline at `at`, sessions charging now, open faults and open incidents."""
    piles = await pile_states(at)
    online = sum(1 for p in piles if p["online"])
    return {
        "piles": len(piles),
        "online": online,
        "offline": len(piles) - online,
        "charging": await Session.filter(state=SessionState.ACTIVE).count(),
        "open_faults": await Fault.filter(cleared_at__isnull=True).count(),
        "open_incidents": await Incident.filter(resolved_at__isnull=True).count(),
    }


async def describe_incidents(ids: list[int]) -> dict[int, str]:
    """How the audit log names incidents: their kind and the pile they came from."""
    rows = await Incident.filter(id__in=ids).values("id", "kind", "pile__name")
    return {
        row["id"]: IncidentKind(row["kind"]).label + (f"（{row['pile__name']}）" if row["pile__name"] else "")
        for row in rows
    }
