"""Sites, piles and fleet cards as the console manages them: a carport site with its power limit,
a pile registered by its charge box id with a password shown once (only its digest is kept),
its password reset, its activation, the QR text of each connector, official cars' fleet cards
(登记 by plate, blocked and unblocked), and the board of connector states. Every write is
audited; `find_for_login` is what the protocol edge asks when a pile connects."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.charging.config import ChargingSettings
from backend.charging.errors import ChargingError
from backend.charging.models import Connector, ConnectorStatus, Pile, Session, SessionState, Site, Tag, TagKind
from backend.charging.service import background, bus, commands, passwords, power
from backend.core.audit import Actor, record
from backend.fleet.service import records as fleet_records
from backend.places import service as places
from backend.wallet.service import charge as wallet_charge
from backend.wallet.service import wallets

log = logging.getLogger(__name__)

# ---- a pile's login at the handshake ----


@dataclass(frozen=True)
class PileRef:
    """What a protocol edge holds for a connected pile: enough to call the services without
    reading the pile's row again on every frame."""

    id: int
    box_id: str
    site_id: int
    name: str
    connectors: int
    max_power_w: int


async def find_for_login(box_id: str, password: str) -> PileRef | None:
    """The active pile `box_id` if `password` is its password; None for an unknown box, an inactive
    one or a wrong password alike, so the handshake's refusal tells an intruder nothing."""
    pile = await Pile.get_or_none(box_id=box_id, is_active=True)
    if pile is None:
        # Compare anyway so an unknown box takes as long to refuse as a wrong password.
        passwords.matches(password, passwords.digest(""))
        return None
    if not passwords.matches(password, pile.password_hash):
        return None
    return PileRef(pile.id, pile.box_id, pile.site_id, pile.name, pile.connectors, pile.max_power_w)


# ---- the console's sites, piles and cards ----

BOX_ID = re.compile(r"^[A-Za-z0-9._-]{1,48}$")
ID_TAG = re.compile(r"^[A-Z0-9]{1,20}$")
MOST_POWER_LIMIT_KW = 100_000
VEHICLE_IN_USE = "in_use"  # fleet's VehicleStatus.IN_USE, as its service views give it

# What a pile's error codes (OCPP 1.6 ChargePointErrorCode, kept as sent) mean to staff.
ERROR_LABELS = {
    "ConnectorLockFailure": "充电枪锁止失败",
    "EVCommunicationError": "与车辆通信故障",
    "GroundFailure": "接地故障",
    "HighTemperature": "温度过高",
    "InternalError": "桩内部故障",
    "LocalListConflict": "本地卡表冲突",
    "OtherError": "其他故障",
    "OverCurrentFailure": "过流故障",
    "OverVoltage": "过压",
    "PowerMeterFailure": "电表故障",
    "PowerSwitchFailure": "电源开关故障",
    "ReaderFailure": "读卡器故障",
    "ResetFailure": "重启失败",
    "UnderVoltage": "欠压",
    "WeakSignal": "信号弱",
}


def error_label(code: str) -> str:
    """An error code as staff read it ("" for none); a code outside the standard is "其他故障"."""
    if not code or code == "NoError":
        return ""
    return ERROR_LABELS.get(code, "其他故障")


# ---- sites --------------------------------------------------------------------------------------


def site_view(site: Site) -> dict:
    return {
        "id": site.id,
        "name": site.name,
        "address": site.address,
        "place_id": site.place_id,
        "lat": site.lat,
        "lng": site.lng,
        "power_limit_kw": site.power_limit_w // 1000,
        "is_active": site.is_active,
    }


async def _site_values(
    name: str, address: str, lat: float | None, lng: float | None, power_limit_kw: int, place_id: int | None
) -> dict[str, Any]:
    if not 0 <= power_limit_kw <= MOST_POWER_LIMIT_KW:
        raise ChargingError.POWER_LIMIT_INVALID.error()
    if place_id is not None:
        await places.active_place(place_id)  # refuses a place that is gone or disabled
    return {
        "name": name.strip(),
        "address": address.strip(),
        "lat": lat,
        "lng": lng,
        "power_limit_w": power_limit_kw * 1000,
        "place_id": place_id,
    }


async def create_site(
    actor: Actor,
    name: str,
    address: str,
    lat: float | None,
    lng: float | None,
    power_limit_kw: int,
    place_id: int | None = None,
) -> dict:
    """Register a site; its name is unique. A power limit of 0 means the piles are not limited."""
    values = await _site_values(name, address, lat, lng, power_limit_kw, place_id)
    async with in_transaction() as conn:
        if await Site.filter(name=values["name"]).using_db(conn).exists():
            raise ChargingError.SITE_NAME_TAKEN.error(name=values["name"])
        try:
            site = await Site.create(**values, using_db=conn)
        except IntegrityError:  # the same name registered at the same moment
            raise ChargingError.SITE_NAME_TAKEN.error(name=values["name"]) from None
        after = site_view(site)
        await record(conn, actor, "charging.create_site", "site", site.id, after=after)
    return after


async def update_site(
    actor: Actor,
    site_id: int,
    name: str,
    address: str,
    lat: float | None,
    lng: float | None,
    power_limit_kw: int,
    place_id: int | None = None,
    is_active: bool = True,
    *,
    redis: Any,
    settings: ChargingSettings,
) -> dict:
    """Change a site. A changed power limit is shared out again at once among the sessions
    charging there (a lowered limit must not wait for the next start or stop)."""
    values = await _site_values(name, address, lat, lng, power_limit_kw, place_id)
    async with in_transaction() as conn:
        site = await Site.filter(id=site_id).using_db(conn).select_for_update().first()
        if site is None:
            raise ChargingError.SITE_NOT_FOUND.error()
        if await Site.filter(name=values["name"]).exclude(id=site_id).using_db(conn).exists():
            raise ChargingError.SITE_NAME_TAKEN.error(name=values["name"])
        before = site_view(site)
        for key, value in {**values, "is_active": is_active}.items():
            setattr(site, key, value)
        await site.save(using_db=conn, update_fields=[*values, "is_active"])
        after = site_view(site)
        await record(conn, actor, "charging.update_site", "site", site_id, before, after)
    if before["power_limit_kw"] != after["power_limit_kw"]:
        background.spawn(power.rebalance(redis, site_id, settings=settings))
    return after


async def list_sites() -> list[dict]:
    return [site_view(s) for s in await Site.all().order_by("-is_active", "name")]


async def get_site(site_id: int) -> dict:
    site = await Site.get_or_none(id=site_id)
    if site is None:
        raise ChargingError.SITE_NOT_FOUND.error()
    return site_view(site)


# ---- piles --------------------------------------------------------------------------------------


def pile_view(pile: Pile, site_name: str = "") -> dict:
    """A pile as staff see it: never its password or its digest."""
    return {
        "id": pile.id,
        "site_id": pile.site_id,
        "site_name": site_name,
        "box_id": pile.box_id,
        "name": pile.name,
        "connectors": pile.connectors,
        "max_power_kw": pile.max_power_w / 1000,
        "vendor": pile.vendor,
        "model": pile.model,
        "serial": pile.serial,
        "firmware": pile.firmware,
        "booted_at": pile.booted_at.isoformat() if pile.booted_at else None,
        "last_seen_at": pile.last_seen_at.isoformat() if pile.last_seen_at else None,
        "is_active": pile.is_active,
    }


async def create_pile(
    actor: Actor, site_id: int, box_id: str, name: str, connectors: int, max_power_kw: int
) -> tuple[dict, str]:
    """Register a pile at an active site. Returns its view and its password, which is shown this
    once: only a digest is kept, so a lost password is replaced, never recovered."""
    box_id = box_id.strip()
    if not BOX_ID.match(box_id):
        raise ChargingError.BOX_ID_INVALID.error()
    password = passwords.new_password()
    async with in_transaction() as conn:
        site = await Site.get_or_none(id=site_id, is_active=True).using_db(conn)
        if site is None:
            raise ChargingError.SITE_NOT_FOUND.error()
        if await Pile.filter(box_id=box_id).using_db(conn).exists():
            raise ChargingError.BOX_ID_TAKEN.error(box_id=box_id)
        try:
            pile = await Pile.create(
                site=site,
                box_id=box_id,
                name=name.strip(),
                password_hash=passwords.digest(password),
                connectors=connectors,
                max_power_w=max_power_kw * 1000,
                using_db=conn,
            )
        except IntegrityError:  # the same box registered at the same moment
            raise ChargingError.BOX_ID_TAKEN.error(box_id=box_id) from None
        after = pile_view(pile, site.name)
        await record(conn, actor, "charging.create_pile", "pile", pile.id, after=after)
    return after, password


async def _locked_pile(conn: Any, pile_id: int) -> Pile:
    pile = await Pile.filter(id=pile_id).using_db(conn).select_for_update().first()
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    return pile


async def _drop_link(redis: Any, box_id: str) -> None:
    """Close the pile's live connection (it logs in again, or is refused, at once). The change is
    committed already: Redis failing only leaves the old connection until it drops by itself."""
    if redis is None:
        return
    try:
        await bus.close(redis, box_id)
    except (RedisError, OSError) as exc:
        log.warning("charging: could not close %s's connection: %s", box_id, exc)


async def reset_password(actor: Actor, pile_id: int, *, redis: Any = None) -> str:
    """Give the pile a new password (shown once). Its live connection, logged in with the old
    one, is closed through the bus (given `redis`), so the old password stops working now."""
    password = passwords.new_password()
    async with in_transaction() as conn:
        pile = await _locked_pile(conn, pile_id)
        pile.password_hash = passwords.digest(password)
        await pile.save(using_db=conn, update_fields=["password_hash"])
        # The audit says that it was reset and by whom; neither password nor digest is written.
        await record(conn, actor, "charging.reset_pile_password", "pile", pile_id, after={"box_id": pile.box_id})
    await _drop_link(redis, pile.box_id)
    return password


async def set_active(actor: Actor, pile_id: int, active: bool, *, redis: Any = None) -> dict:
    """Enable or disable a pile. A disabled pile's live connection is closed through the bus
    (given `redis`) and it is refused when it connects again, so it transacts no more."""
    async with in_transaction() as conn:
        pile = await _locked_pile(conn, pile_id)
        before = pile_view(pile)
        pile.is_active = active
        await pile.save(using_db=conn, update_fields=["is_active"])
        after = pile_view(pile)
        await record(conn, actor, "charging.set_pile_active", "pile", pile_id, before, after)
    if not active:
        await _drop_link(redis, pile.box_id)
    return after


async def get_pile(pile_id: int) -> dict:
    pile = await Pile.get_or_none(id=pile_id).select_related("site")
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    return pile_view(pile, pile.site.name)


async def list_piles(site_id: int | None = None) -> list[dict]:
    query = Pile.all().select_related("site")
    if site_id is not None:
        query = query.filter(site_id=site_id)
    return [pile_view(p, p.site.name) for p in await query.order_by("site__name", "box_id")]


def qr_text(settings: ChargingSettings, box_id: str, connector_id: int) -> str:
    """What a connector's QR code says: the address the mini-program's scan reads."""
    return f"{settings.qr_base_url}/c/{box_id}/{connector_id}"


# ---- fleet cards --------------------------------------------------------------------------------


def tag_view(tag: Tag, plate: str = "") -> dict:
    return {
        "id": tag.id,
        "id_tag": tag.id_tag,
        "kind": tag.kind.value,
        "kind_label": tag.kind.label,
        "vehicle_id": tag.vehicle_id,
        "plate": plate,
        "blocked": tag.blocked,
        "blocked_reason": tag.blocked_reason,
        "created_at": tag.created_at.isoformat() if tag.created_at else None,
    }


def normalize_id_tag(raw: str) -> str:
    id_tag = re.sub(r"[\s:-]", "", raw or "").upper()
    if not ID_TAG.match(id_tag):
        raise ChargingError.TAG_INVALID.error()
    return id_tag


async def register_fleet_card(actor: Actor, id_tag: str, plate: str) -> dict:
    """Register the card an official car charges with: its sessions are billed to the car's
    unit. The car must be a new-energy car in use; a card number already known here or as a
    one-card is refused (a tap must name one payer)."""
    id_tag = normalize_id_tag(id_tag)
    vehicle = await fleet_records.vehicle_by_plate(plate)
    if vehicle is None or not vehicle["new_energy"] or vehicle["status"] != VEHICLE_IN_USE:
        raise ChargingError.VEHICLE_NOT_CHARGEABLE.error(plate=plate.strip())
    if await wallet_charge.find_card(id_tag) is not None:
        raise ChargingError.TAG_TAKEN.error(id_tag=id_tag)
    async with in_transaction() as conn:
        if await Tag.filter(id_tag=id_tag).using_db(conn).exists():
            raise ChargingError.TAG_TAKEN.error(id_tag=id_tag)
        try:
            tag = await Tag.create(id_tag=id_tag, kind=TagKind.FLEET, vehicle_id=vehicle["id"], using_db=conn)
        except IntegrityError:
            raise ChargingError.TAG_TAKEN.error(id_tag=id_tag) from None
        after = tag_view(tag, vehicle["plate"])
        await record(conn, actor, "charging.register_fleet_card", "tag", tag.id, after=after)
    return after


async def set_tag_blocked(actor: Actor, tag_id: int, blocked: bool, reason: str) -> dict:
    """Block a tag (a lost fleet card, an unknown card a pile met) or lift the block; a blocked
    tag is refused at Authorize and at a pile's next start."""
    async with in_transaction() as conn:
        tag = await Tag.filter(id=tag_id).using_db(conn).select_for_update().first()
        if tag is None or tag.kind == TagKind.TOKEN:  # start tokens live and expire on their own
            raise ChargingError.TAG_NOT_FOUND.error()
        plate = await _plate_of(tag.vehicle_id)
        before = tag_view(tag, plate)
        tag.blocked, tag.blocked_reason = blocked, reason.strip() if blocked else ""
        await tag.save(using_db=conn, update_fields=["blocked", "blocked_reason"])
        after = {**tag_view(tag, plate), "reason": reason.strip()}
        if blocked:
            await record(conn, actor, "charging.block_tag", "tag", tag_id, before, after)
        else:
            await record(conn, actor, "charging.unblock_tag", "tag", tag_id, before, after)
    return after


async def _plate_of(vehicle_id: int | None) -> str:
    if vehicle_id is None:
        return ""
    vehicle = await fleet_records.get_vehicle(vehicle_id)
    return vehicle["plate"]


async def plates(vehicle_ids: set[int]) -> dict[int, str]:
    return {vid: await _plate_of(vid) for vid in vehicle_ids}


# ---- the board ----------------------------------------------------------------------------------


def is_online(pile: Pile, at: datetime) -> bool:
    """A pile is online while its last message is within two heartbeat intervals."""
    return pile.last_seen_at is not None and at - pile.last_seen_at <= timedelta(seconds=2 * pile.heartbeat_s)


async def board(at: datetime, site_id: int | None = None) -> list[dict]:
    """Every active pile with its online state, last message and each connector's last status
    and current session (a connector never reported is shown as unavailable)."""
    piles = Pile.filter(is_active=True).select_related("site")
    if site_id is not None:
        piles = piles.filter(site_id=site_id)
    rows = await piles.order_by("site__name", "box_id")
    ids = [p.id for p in rows]
    states = {(c.pile_id, c.connector_id): c for c in await Connector.filter(pile_id__in=ids)}
    active = {(s.pile_id, s.connector_id): s for s in await Session.filter(pile_id__in=ids, state=SessionState.ACTIVE)}
    board_rows = []
    for pile in rows:
        connectors = []
        for number in range(1, pile.connectors + 1):
            state = states.get((pile.id, number))
            session = active.get((pile.id, number))
            status = state.status if state else ConnectorStatus.UNAVAILABLE
            connectors.append(
                {
                    "connector_id": number,
                    "status": status.value,
                    "status_label": status.label,
                    "error_label": error_label(state.error_code) if state else "",
                    "status_at": state.status_at.isoformat() if state and state.status_at else None,
                    "session": None
                    if session is None
                    else {
                        "id": session.id,
                        "started_at": session.started_at.isoformat(),
                        "energy_wh": session.meter_last_wh - session.meter_start_wh,
                        "running_fen": session.running_fen,
                        "payer_kind_label": session.payer_kind.label,
                    },
                }
            )
        whole = states.get((pile.id, 0))
        board_rows.append(
            {
                **pile_view(pile, pile.site.name),
                "online": is_online(pile, at),
                "pile_status": whole.status.value if whole else "",
                "pile_status_label": whole.status.label if whole else "",
                "pile_error_label": error_label(whole.error_code) if whole else "",
                "connector_states": connectors,
            }
        )
    return board_rows


# ---- remote commands ----------------------------------------------------------------------------


async def fleet_cards_to_start() -> list[dict]:
    """The fleet cards staff may start a session with (registered, not blocked), with the plate
    of each: a console start is billed to an official car's unit, never to a cadre's wallet."""
    cards = await Tag.filter(kind=TagKind.FLEET, blocked=False).order_by("id_tag")
    shown = await plates({c.vehicle_id for c in cards if c.vehicle_id is not None})
    return [
        {"id_tag": c.id_tag, "label": f"{shown.get(c.vehicle_id) or '未绑定车辆'}（{wallets.mask_uid(c.id_tag)}）"}
        for c in cards
    ]


async def _fleet_card(raw: Any) -> str:
    """The idTag of a console remote start: a registered fleet card that is not blocked. A
    one-card's UID or a mini-program token is refused: a cadre's wallet pays only for the cadre's
    own tap or start."""
    id_tag = raw.strip().upper() if isinstance(raw, str) else ""
    if not id_tag or not await Tag.filter(id_tag=id_tag, kind=TagKind.FLEET, blocked=False).exists():
        raise ChargingError.COMMAND_INVALID.error(problem="远程启动只能选用已登记且未停用的公务车充电卡")
    return id_tag


def _connector(value: int | None, pile: Pile, *, whole: bool) -> int:
    """A connector number of the pile; 0 (the pile as a whole) only where the command allows it."""
    low = 0 if whole else 1
    if value is None or not low <= value <= pile.connectors:
        if whole:
            raise ChargingError.COMMAND_INVALID.error(problem=f"枪号应为 0（整桩）到 {pile.connectors}")
        raise ChargingError.CONNECTOR_INVALID.error(count=pile.connectors)
    return value


async def command_payload(pile: Pile, action: commands.Action, fields: dict[str, Any]) -> dict:
    """The protocol-neutral payload of `action` from what the console's form gives, checked
    against the pile (its connectors, its power, its active sessions) at least as strictly as
    `commands.send` checks it, so that a command audited here is one that goes out."""
    connector_id = fields.get("connector_id")
    if action == commands.Action.REMOTE_START:
        id_tag = await _fleet_card(fields.get("id_tag"))
        return {"connector_id": _connector(connector_id, pile, whole=False), "id_tag": id_tag}
    if action == commands.Action.REMOTE_STOP:
        transaction_id = fields.get("transaction_id")
        if (
            transaction_id is None
            or not await Session.filter(id=transaction_id, pile_id=pile.id, state=SessionState.ACTIVE).exists()
        ):
            raise ChargingError.COMMAND_INVALID.error(problem="该桩没有这笔正在进行的充电")
        return {"transaction_id": transaction_id}
    if action == commands.Action.CHANGE_AVAILABILITY:
        return {"connector_id": _connector(connector_id, pile, whole=True), "operative": bool(fields.get("operative"))}
    if action == commands.Action.RESET:
        return {"hard": bool(fields.get("hard"))}
    if action == commands.Action.UNLOCK_CONNECTOR:
        return {"connector_id": _connector(connector_id, pile, whole=False)}
    if action == commands.Action.GET_CONFIGURATION:
        keys = [k.strip() for k in re.split(r"[,，\s]+", fields.get("keys") or "") if k.strip()]
        if any(len(k) > 50 for k in keys) or len(keys) > 20:
            raise ChargingError.COMMAND_INVALID.error(problem="最多 20 个配置项，每项不超过 50 个字符")
        return {"keys": keys}
    if action == commands.Action.CHANGE_CONFIGURATION:
        key, value = (fields.get("key") or "").strip(), (fields.get("value") or "").strip()
        if not key or len(key) > 50 or not value or len(value) > 500:
            raise ChargingError.COMMAND_INVALID.error(problem="请填写配置项（50 字以内）与取值（500 字以内）")
        return commands.validate(action, {"key": key, "value": value}, pile.connectors)  # refuses a secret key
    if action == commands.Action.TRIGGER_MESSAGE:
        message = fields.get("message") or ""
        if message not in commands.TRIGGERABLE:
            raise ChargingError.COMMAND_INVALID.error(problem="请选择要桩上报的消息")
        payload: dict[str, Any] = {"message": message}
        if connector_id:  # none or 0: the pile reports for itself
            payload["connector_id"] = _connector(connector_id, pile, whole=False)
        return payload
    limit_kw = fields.get("limit_kw")
    if limit_kw is None or not 0 < limit_kw * 1000 <= pile.max_power_w:
        most = f"{pile.max_power_w / 1000:g}"
        raise ChargingError.COMMAND_INVALID.error(problem=f"功率上限应大于 0、不超过本桩的 {most} 千瓦")
    return {"connector_id": _connector(connector_id, pile, whole=True), "limit_w": round(limit_kw * 1000)}


async def command_pile(
    actor: Actor,
    redis: Any,
    pile_id: int,
    action: commands.Action,
    fields: dict[str, Any],
    *,
    settings: ChargingSettings,
) -> commands.Answer:
    """Send a staff member's command to a pile, waiting as the running `settings` say. The audit
    entry is written before the command goes out, so that who asked for it stays on record
    whatever the pile answers (or if it never does); the answer itself is on the command's own
    row. Both keep the payload as `commands.recorded` shows it: no card number in clear."""
    pile = await Pile.get_or_none(id=pile_id, is_active=True)
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    payload = await command_payload(pile, action, fields)
    async with in_transaction() as conn:
        after = {"box_id": pile.box_id, "action": action.value, "payload": commands.recorded(payload)}
        await record(conn, actor, "charging.send_command", "pile", pile.id, after=after)
    return await commands.send(redis, pile.box_id, action, payload, admin_id=actor.admin_id, settings=settings)
