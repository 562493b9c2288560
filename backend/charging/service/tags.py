"""Who pays for an idTag. A tag the platform issued or met is a `Tag` row: a mini-program token
(its cadre's wallet, or the official car's unit when the start was for one), a fleet card (its
car's home unit) or an unknown tag a pile started with (blocked). Any other idTag may be a
one-card UID, looked up in the wallet (an active card of a cadre on the roster pays from that
cadre's wallet). What a cadre's wallet must hold to start is checked here too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import connections

from backend.charging.config import ChargingSettings
from backend.charging.models import PayerKind, SessionState, Tag, TagKind
from backend.core import sql
from backend.core.errors import AppError
from backend.fleet.service import records as fleet_records
from backend.wallet.service import charge, wallets


class TagVerdict(StrEnum):
    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT = "ConcurrentTx"


@dataclass(frozen=True)
class Payer:
    """Who a session of this idTag is billed to, and whether the tag may start one as it stands
    (`verdict`, before the wallet's balance and the one-session rule are counted)."""

    kind: PayerKind
    verdict: TagVerdict
    person_id: int | None = None
    vehicle_id: int | None = None
    unit_id: int | None = None
    tag: Tag | None = None


NOBODY = Payer(PayerKind.NOBODY, TagVerdict.INVALID)


async def _official_car(vehicle_id: int, person_id: int | None, tag: Tag) -> Payer:
    """An official car's session, billed to its home unit while it is an in-use new-energy car
    of a unit (a pool car has no unit's fleet cost to bill: refused)."""
    view = await fleet_records.get_vehicle(vehicle_id)
    car = await fleet_records.chargeable_vehicle(view["plate"])
    if car is None or car.home_unit_id is None:
        return Payer(PayerKind.NOBODY, TagVerdict.BLOCKED, person_id, vehicle_id, None, tag)
    return Payer(PayerKind.FLEET, TagVerdict.ACCEPTED, person_id, car.id, car.home_unit_id, tag)


async def _of_tag(tag: Tag, at: datetime) -> Payer:
    if tag.kind == TagKind.UNKNOWN:
        # Staff may let an unknown card charge (for nobody, seen on the board) by unblocking it.
        return Payer(PayerKind.NOBODY, TagVerdict.BLOCKED if tag.blocked else TagVerdict.ACCEPTED, tag=tag)
    if tag.vehicle_id is not None:
        payer = await _official_car(tag.vehicle_id, tag.person_id, tag)
    else:
        payer = Payer(PayerKind.WALLET, TagVerdict.ACCEPTED, tag.person_id, tag=tag)
    if tag.blocked:
        return Payer(payer.kind, TagVerdict.BLOCKED, payer.person_id, payer.vehicle_id, payer.unit_id, tag)
    if tag.expires_at is not None and tag.expires_at <= at:
        return Payer(payer.kind, TagVerdict.EXPIRED, payer.person_id, payer.vehicle_id, payer.unit_id, tag)
    return payer


async def _of_card(id_tag: str) -> Payer:
    try:
        uid = wallets.normalize_uid(id_tag)
    except AppError:
        return NOBODY
    card = await charge.find_card(uid)
    if card is None:
        return NOBODY
    verdict = TagVerdict.ACCEPTED if charge.card_refusal(card.state, card.holder) is None else TagVerdict.BLOCKED
    return Payer(PayerKind.WALLET, verdict, card.holder.id)


async def resolve(id_tag: str, at: datetime) -> Payer:
    """Who pays for `id_tag` and whether it may start; an idTag nobody knows is NOBODY/INVALID."""
    found = await sql.row(connections.get("default"), "SELECT * FROM charging_tag WHERE id_tag = $1", id_tag)
    tag = None if found is None else Tag._init_from_db(**found)
    if tag is not None and tag.kind != TagKind.UNKNOWN:
        return await _of_tag(tag, at)
    # A card tapped before the card desk issued it left an UNKNOWN tag: once issued, it is the
    # wallet's card.
    card = await _of_card(id_tag)
    if tag is None or card.kind != PayerKind.NOBODY:
        return card
    return await _of_tag(tag, at)


# Every Authorize and StartTransaction asks the two questions below; a start burst (cars arriving
# at a carport of a thousand piles) is short of the CPU that building them through the ORM takes.
_OWING = (
    "SELECT 1 FROM charging_bill b JOIN charging_session s ON s.id = b.session_id "
    "WHERE s.person_id = $1 AND s.payer_kind = $2 AND b.shortfall_fen > 0 AND b.shortfall_paid_at IS NULL LIMIT 1"
)
_ACTIVE = "SELECT 1 FROM charging_session WHERE id_tag = $1 AND state = $2"


async def wallet_verdict(person_id: int, settings: ChargingSettings, conn: Any = None) -> TagVerdict:
    """A cadre's wallet may start a session with the minimum cash and no unpaid shortfall."""
    wallet = await wallets.ensure_wallet(person_id)
    if wallet.cash_balance < settings.min_balance_fen:
        return TagVerdict.BLOCKED
    owing = await sql.rows(conn or connections.get("default"), _OWING, person_id, PayerKind.WALLET.value)
    return TagVerdict.BLOCKED if owing else TagVerdict.ACCEPTED


async def has_active_session(id_tag: str, conn: Any = None, other_than: int | None = None) -> bool:
    params: list[Any] = [id_tag, SessionState.ACTIVE.value]
    statement = _ACTIVE
    if other_than is not None:
        statement += " AND id <> $3"
        params.append(other_than)
    return bool(await sql.rows(conn or connections.get("default"), statement + " LIMIT 1", *params))


_ACTIVE_WALLET = "SELECT 1 FROM charging_session WHERE person_id = $1 AND payer_kind = $2 AND state = $3 LIMIT 1"


async def has_active_wallet_session(person_id: int, conn: Any = None) -> bool:
    """Whether the cadre's wallet already pays for an active session (a card tap or a token)."""
    params = (person_id, PayerKind.WALLET.value, SessionState.ACTIVE.value)
    return bool(await sql.rows(conn or connections.get("default"), _ACTIVE_WALLET, *params))


def person_lock(person_id: int) -> str:
    """The lock a cadre's starts queue on, the key `starts._serialise` takes for the cadre."""
    return f"charging:start:person:{person_id}"
