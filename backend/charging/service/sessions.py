# H1 TEMPORARY STAND-IN: the smallest sessions service that lets the OCPP edge be tested; helper
# H2's real file replaces it at merge (the signatures are the binding ones of charging-design.md).
"""Stand-in of the charging sessions service (see the header)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from backend.charging.config import ChargingSettings
from backend.charging.models import Connector, Pile, Session, SessionState, Tariff
from backend.charging.service.piles import PileRef


class TagVerdict(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT = "ConcurrentTx"


@dataclass(frozen=True)
class BootInfo:
    vendor: str
    model: str
    serial: str
    firmware: str


@dataclass(frozen=True)
class Sample:
    at: datetime
    energy_wh: int | None
    power_w: int | None
    soc: int | None


@dataclass(frozen=True)
class Started:
    transaction_id: int
    verdict: TagVerdict


async def boot(pile: PileRef, info: BootInfo, at: datetime) -> int:
    interval = ChargingSettings.from_env(os.environ).heartbeat_seconds
    await Pile.filter(id=pile.id).update(
        vendor=info.vendor, model=info.model, serial=info.serial, firmware=info.firmware, booted_at=at
    )
    return interval


async def seen(pile_id: int, at: datetime) -> None:
    await Pile.filter(id=pile_id).update(last_seen_at=at)


async def status(redis, pile, connector_id, status, error_code, info, vendor_error_code, at) -> None:
    await Connector.update_or_create(
        defaults={"status": status, "error_code": error_code, "status_at": at},
        pile_id=pile.id,
        connector_id=connector_id,
    )


async def authorize(pile, id_tag, at) -> TagVerdict:
    return TagVerdict.INVALID if id_tag.startswith("BAD") else TagVerdict.ACCEPTED


async def start_transaction(redis, pile, connector_id, id_tag, meter_start_wh, started_at, received_at) -> Started:
    tariff = await Tariff.filter().order_by("-effective_from").first()
    session, _ = await Session.get_or_create(
        pile_id=pile.id,
        connector_id=connector_id,
        id_tag=id_tag,
        started_at=started_at,
        meter_start_wh=meter_start_wh,
        defaults={
            "payer_kind": "nobody",
            "tariff": tariff,
            "meter_last_wh": meter_start_wh,
            "received_at": received_at,
        },
    )
    return Started(session.id, await authorize(pile, id_tag, received_at))


async def meter_values(redis, pile, connector_id, transaction_id, samples, received_at) -> None:
    last = [s.energy_wh for s in samples if s.energy_wh is not None]
    if transaction_id is not None and last:
        await Session.filter(id=transaction_id).update(meter_last_wh=last[-1])


async def stop_transaction(
    redis, pile, transaction_id, meter_stop_wh, stopped_at, reason, id_tag, samples, received_at
) -> TagVerdict | None:
    updated = await Session.filter(id=transaction_id, pile_id=pile.id).update(
        state=SessionState.STOPPED, meter_stop_wh=meter_stop_wh, stopped_at=stopped_at, stop_reason=reason
    )
    return TagVerdict.ACCEPTED if updated and id_tag else None


async def firmware_status(pile_id, status, at) -> None:
    await Pile.filter(id=pile_id).update(firmware_status=status)


async def diagnostics_status(pile_id, status, at) -> None:
    await Pile.filter(id=pile_id).update(diagnostics_status=status)


async def data_transfer(pile, vendor_id, message_id, data, at) -> str:
    return "UnknownVendorId"
