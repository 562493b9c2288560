"""Sites, piles and fleet cards as services: a pile's password works once registered and only
its digest is kept (nor written to the audit), a reset makes the old one fail, a disabled pile
cannot log in; fleet cards need a new-energy car in use and a card number nobody holds;
every write leaves its audit entry; a command's payload is checked against the pile."""

from __future__ import annotations

import asyncio
import functools

import pytest

from backend.charging.config import ChargingSettings
from backend.charging.models import Command, CommandState, Pile, Site, Tag, TagKind
from backend.charging.service import piles
from backend.charging.service.commands import Action
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.fleet.models import Vehicle, VehicleStatus, VehicleType
from tests.fixtures.charging import PASSWORD


async def _refused(code: str, coro) -> None:
    with pytest.raises(AppError) as refused:
        await coro
    assert refused.value.code == code


async def test_a_site_has_a_unique_name_and_a_power_limit_in_range(charging_world, runtime):
    live = {"redis": runtime.redis, "settings": ChargingSettings()}
    created = await piles.create_site(CLI_ACTOR, " 东区车棚 ", "东门", 30.1, 120.2, 60)
    assert created["name"] == "东区车棚" and (await Site.get(id=created["id"])).power_limit_w == 60_000
    await _refused("charging.site_name_taken", piles.create_site(CLI_ACTOR, "东区车棚", "", None, None, 0))
    await _refused("charging.power_limit_invalid", piles.create_site(CLI_ACTOR, "西区", "", None, None, -1))
    changed = await piles.update_site(
        CLI_ACTOR, created["id"], "东区车棚", "东门", None, None, 0, is_active=False, **live
    )
    assert changed["power_limit_kw"] == 0 and not changed["is_active"]
    await _refused(
        "charging.site_name_taken",
        piles.update_site(CLI_ACTOR, created["id"], charging_world.site.name, "", None, None, 0, **live),
    )
    entries = await AuditEntry.filter(object_type="site", object_id=str(created["id"])).order_by("id")
    assert [e.action for e in entries] == ["charging.create_site", "charging.update_site"]
    assert entries[1].before["power_limit_kw"] == 60 and entries[1].after["power_limit_kw"] == 0


async def test_a_new_piles_password_logs_it_in_and_is_kept_only_as_a_digest(charging_world):
    view, password = await piles.create_pile(CLI_ACTOR, charging_world.site.id, "CP-2001", "5 号桩", 2, 22)
    assert len(password) == 24 and view["max_power_kw"] == 22
    stored = await Pile.get(box_id="CP-2001")
    assert password not in stored.password_hash and stored.max_power_w == 22_000
    ref = await piles.find_for_login("CP-2001", password)
    assert ref is not None and ref.id == stored.id and ref.connectors == 2
    assert await piles.find_for_login("CP-2001", "wrong-password-000000000") is None
    entry = await AuditEntry.get(action="charging.create_pile", object_id=str(stored.id))
    assert password not in str(entry.after) and stored.password_hash not in str(entry.after)


async def test_a_pile_is_refused_a_bad_or_taken_box_id_and_an_unknown_site(charging_world):
    site = charging_world.site.id
    await _refused("charging.box_id_invalid", piles.create_pile(CLI_ACTOR, site, "CP 1", "x", 1, 7))
    await _refused("charging.box_id_invalid", piles.create_pile(CLI_ACTOR, site, "C" * 49, "x", 1, 7))
    await _refused("charging.box_id_taken", piles.create_pile(CLI_ACTOR, site, "CP-1001", "x", 1, 7))
    await _refused("charging.site_not_found", piles.create_pile(CLI_ACTOR, 999_999, "CP-3001", "x", 1, 7))
    await Site.filter(id=site).update(is_active=False)
    await _refused("charging.site_not_found", piles.create_pile(CLI_ACTOR, site, "CP-3001", "x", 1, 7))


async def test_a_reset_password_replaces_the_old_one_and_a_disabled_pile_cannot_log_in(charging_world):
    pile = charging_world.pile
    assert await piles.find_for_login(pile.box_id, PASSWORD) is not None
    new = await piles.reset_password(CLI_ACTOR, pile.id)
    assert await piles.find_for_login(pile.box_id, PASSWORD) is None
    assert await piles.find_for_login(pile.box_id, new) is not None
    entry = await AuditEntry.get(action="charging.reset_pile_password")
    assert new not in str(entry.after) and entry.after == {"box_id": pile.box_id}
    disabled = await piles.set_active(CLI_ACTOR, pile.id, False)
    assert not disabled["is_active"] and await piles.find_for_login(pile.box_id, new) is None
    await piles.set_active(CLI_ACTOR, pile.id, True)
    assert await piles.find_for_login(pile.box_id, new) is not None
    await _refused("charging.pile_not_found", piles.reset_password(CLI_ACTOR, 999_999))


async def test_a_fleet_card_needs_a_new_energy_car_in_use_and_a_number_nobody_holds(charging_world):
    card = await piles.register_fleet_card(CLI_ACTOR, "fleet-00 02", "浙AD12345")
    assert card["id_tag"] == "FLEET0002" and card["plate"] == "浙AD12345" and card["kind"] == "fleet"
    tag = await Tag.get(id_tag="FLEET0002")
    assert tag.kind == TagKind.FLEET and tag.vehicle_id == charging_world.vehicle.id
    await _refused("charging.tag_taken", piles.register_fleet_card(CLI_ACTOR, "FLEET0002", "浙AD12345"))
    # A one-card's UID is the cadre's wallet: the same number cannot also bill a unit.
    await _refused("charging.tag_taken", piles.register_fleet_card(CLI_ACTOR, charging_world.card_uid, "浙AD12345"))
    await _refused("charging.tag_invalid", piles.register_fleet_card(CLI_ACTOR, "卡号", "浙AD12345"))
    await _refused("charging.tag_invalid", piles.register_fleet_card(CLI_ACTOR, "A" * 21, "浙AD12345"))
    await _refused("charging.vehicle_not_chargeable", piles.register_fleet_card(CLI_ACTOR, "F3", "浙A00000"))
    petrol = await Vehicle.create(plate="浙A11111", vehicle_type=VehicleType.SEDAN, seats=5, new_energy=False)
    await _refused("charging.vehicle_not_chargeable", piles.register_fleet_card(CLI_ACTOR, "F3", petrol.plate))
    sealed = await Vehicle.create(
        plate="浙AD22222", vehicle_type=VehicleType.SEDAN, seats=5, new_energy=True, status=VehicleStatus.SEALED
    )
    await _refused("charging.vehicle_not_chargeable", piles.register_fleet_card(CLI_ACTOR, "F3", sealed.plate))
    assert await AuditEntry.filter(action="charging.register_fleet_card").count() == 1


async def test_a_card_is_blocked_and_unblocked_with_its_reason_but_a_start_token_is_not_listed(charging_world):
    tag = await Tag.get(id_tag=charging_world.fleet_card)
    blocked = await piles.set_tag_blocked(CLI_ACTOR, tag.id, True, " 卡片遗失 ")
    assert blocked["blocked"] and blocked["blocked_reason"] == "卡片遗失"
    lifted = await piles.set_tag_blocked(CLI_ACTOR, tag.id, False, "找回")
    assert not lifted["blocked"] and lifted["blocked_reason"] == ""
    actions = [e.action for e in await AuditEntry.filter(object_type="tag").order_by("id")]
    assert actions == ["charging.block_tag", "charging.unblock_tag"]
    token = await Tag.create(id_tag="M123", kind=TagKind.TOKEN, person_id=charging_world.cadre_id)
    await _refused("charging.tag_not_found", piles.set_tag_blocked(CLI_ACTOR, token.id, True, "x"))


def test_a_connectors_qr_names_the_pile_and_connector_at_the_public_address():
    settings = ChargingSettings(qr_base_url="https://houqin.example.gov.cn")
    assert piles.qr_text(settings, "CP-1001", 2) == "https://houqin.example.gov.cn/c/CP-1001/2"


async def test_a_command_is_checked_against_the_pile_audited_before_it_goes_and_its_row_kept(runtime, charging_world):
    pile = charging_world.pile
    redis = runtime.redis
    send = functools.partial(piles.command_pile, settings=ChargingSettings())
    await _refused(
        "charging.connector_invalid", send(CLI_ACTOR, redis, pile.id, Action.UNLOCK_CONNECTOR, {"connector_id": 3})
    )
    fleet_card = {"connector_id": 0, "id_tag": charging_world.fleet_card}
    await _refused("charging.connector_invalid", send(CLI_ACTOR, redis, pile.id, Action.REMOTE_START, fleet_card))
    await _refused(
        "charging.command_invalid", send(CLI_ACTOR, redis, pile.id, Action.REMOTE_START, {"connector_id": 1})
    )
    await _refused(
        "charging.command_invalid", send(CLI_ACTOR, redis, pile.id, Action.REMOTE_STOP, {"transaction_id": 42})
    )
    await _refused(
        "charging.command_invalid",
        send(CLI_ACTOR, redis, pile.id, Action.SET_CHARGING_PROFILE, {"connector_id": 1, "limit_kw": 7.5}),
    )
    await _refused(
        "charging.command_invalid", send(CLI_ACTOR, redis, pile.id, Action.TRIGGER_MESSAGE, {"message": "Reset"})
    )
    await _refused(
        "charging.command_invalid", send(CLI_ACTOR, redis, pile.id, Action.CHANGE_CONFIGURATION, {"key": ""})
    )
    await _refused("charging.pile_not_found", send(CLI_ACTOR, redis, 999_999, Action.RESET, {}))
    assert not await AuditEntry.filter(action="charging.send_command").exists()
    answer = await send(CLI_ACTOR, redis, pile.id, Action.SET_CHARGING_PROFILE, {"connector_id": 0, "limit_kw": 3.5})
    command = await Command.get(pile_id=pile.id)
    assert command.action == "set_charging_profile" and command.payload == {"connector_id": 0, "limit_w": 3500}
    assert command.state == answer.state == CommandState.OFFLINE  # nobody holds the pile's socket here
    entry = await AuditEntry.get(action="charging.send_command")
    assert entry.object_id == str(pile.id) and entry.after["payload"] == {"connector_id": 0, "limit_w": 3500}
    trigger = await piles.command_payload(pile, Action.TRIGGER_MESSAGE, {"message": "Heartbeat", "connector_id": 0})
    assert trigger == {"message": "Heartbeat"}
    config = {"key": "HeartbeatInterval", "value": ""}
    await _refused("charging.command_invalid", piles.command_payload(pile, Action.CHANGE_CONFIGURATION, config))
    keys = await piles.command_payload(
        pile, Action.GET_CONFIGURATION, {"keys": "HeartbeatInterval，MeterValueSampleInterval"}
    )
    assert keys == {"keys": ["HeartbeatInterval", "MeterValueSampleInterval"]}


def _outcomes(results: list) -> tuple[list, list[str]]:
    won = [r for r in results if not isinstance(r, BaseException)]
    refused = [r.code for r in results if isinstance(r, AppError)]
    assert len(won) + len(refused) == len(results), [r for r in results if isinstance(r, BaseException)]
    return won, refused


async def test_one_box_id_registered_five_times_at_once_makes_one_pile(charging_world, requires_postgres):
    site = charging_world.site.id
    won, refused = _outcomes(
        await asyncio.gather(
            *(piles.create_pile(CLI_ACTOR, site, "CP-RACE", f"{i} 号桩", 1, 7) for i in range(5)),
            return_exceptions=True,
        )
    )
    assert len(won) == 1 and refused == ["charging.box_id_taken"] * 4
    assert await Pile.filter(box_id="CP-RACE").count() == 1
    assert await AuditEntry.filter(action="charging.create_pile").count() == 1
    # The one password handed out is the one that works.
    assert await piles.find_for_login("CP-RACE", won[0][1]) is not None


async def test_one_fleet_card_registered_five_times_at_once_is_one_tag(charging_world, requires_postgres):
    won, refused = _outcomes(
        await asyncio.gather(
            *(piles.register_fleet_card(CLI_ACTOR, "FLEETRACE", "浙AD12345") for _ in range(5)),
            return_exceptions=True,
        )
    )
    assert len(won) == 1 and refused == ["charging.tag_taken"] * 4
    assert await Tag.filter(id_tag="FLEETRACE").count() == 1
