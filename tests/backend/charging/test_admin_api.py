"""EV charging's console API (/admin/v1/charging): readers read sites, piles, the board and
tariffs but may not write; staff register a pile and get its password once, reset it, disable
it, register and block fleet cards; operators send commands; bad input gets its stable code and
a Chinese message."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.models import Command, Pile, Tariff
from backend.charging.service import piles
from backend.core.timeutil import now
from tests.fixtures.charging import SEASONS
from tests.helpers import admin_token, bearer
from tests.helpers.errors import assert_error

VIEWER = ["charging.view_charging"]
STAFF = ["charging.view_charging", "charging.manage_piles"]


async def test_a_reader_reads_but_may_not_write(client, charging_world):
    token = await admin_token(client, "reader", VIEWER)
    sites = (await client.get("/admin/v1/charging/sites", headers=bearer(token))).json()["items"]
    assert [s["name"] for s in sites] == ["行政中心光储充车棚"] and sites[0]["power_limit_kw"] == 22
    listed = (await client.get(f"/admin/v1/charging/piles?site={charging_world.site.id}", headers=bearer(token))).json()
    assert [p["box_id"] for p in listed["items"]] == ["CP-1001", "CP-1002"]
    assert "password" not in str(listed)
    board = (await client.get("/admin/v1/charging/board", headers=bearer(token))).json()["items"]
    assert board[0]["online"] is False and [c["status"] for c in board[0]["connector_states"]] == ["Unavailable"] * 2
    tariffs = (await client.get("/admin/v1/charging/tariffs", headers=bearer(token))).json()["items"]
    assert tariffs[0]["service_fee_fen_per_kwh"] == 40
    refused = await client.post(f"/admin/v1/charging/piles/{charging_world.pile.id}/password", headers=bearer(token))
    assert refused.status_code == 403
    outsider = await admin_token(client, "outsider", ["fleet.view_fleet"])
    assert (await client.get("/admin/v1/charging/piles", headers=bearer(outsider))).status_code == 403


async def test_staff_register_a_pile_get_its_password_once_reset_and_disable_it(client, charging_world):
    token = await admin_token(client, "staff", STAFF)
    body = {
        "site_id": charging_world.site.id,
        "box_id": "CP-1003",
        "name": "3 号桩",
        "connectors": 1,
        "max_power_kw": 7,
    }
    created = await client.post("/admin/v1/charging/piles", json=body, headers=bearer(token))
    assert created.status_code == 201
    password = created.json()["password"]
    pile_id = created.json()["pile"]["id"]
    assert await piles.find_for_login("CP-1003", password) is not None
    assert password not in (await client.get(f"/admin/v1/charging/piles/{pile_id}", headers=bearer(token))).text
    assert_error(
        await client.post("/admin/v1/charging/piles", json=body, headers=bearer(token)), 409, "charging.box_id_taken"
    )
    assert_error(
        await client.post("/admin/v1/charging/piles", json={**body, "box_id": "CP/1"}, headers=bearer(token)),
        422,
        "charging.box_id_invalid",
    )
    bad_count = await client.post(
        "/admin/v1/charging/piles", json={**body, "box_id": "CP-1004", "connectors": 9}, headers=bearer(token)
    )
    assert bad_count.status_code == 422
    new = (await client.post(f"/admin/v1/charging/piles/{pile_id}/password", headers=bearer(token))).json()["password"]
    assert await piles.find_for_login("CP-1003", password) is None and await piles.find_for_login("CP-1003", new)
    off = await client.put(
        f"/admin/v1/charging/piles/{pile_id}/active", json={"is_active": False}, headers=bearer(token)
    )
    assert off.status_code == 200 and not (await Pile.get(id=pile_id)).is_active
    assert_error(
        await client.post("/admin/v1/charging/piles/999999/password", headers=bearer(token)),
        404,
        "charging.pile_not_found",
    )


async def test_staff_manage_sites_and_fleet_cards(client, charging_world):
    token = await admin_token(client, "staff", STAFF)
    site = await client.post(
        "/admin/v1/charging/sites", json={"name": "东区车棚", "power_limit_kw": 30}, headers=bearer(token)
    )
    assert site.status_code == 201
    changed = await client.put(
        f"/admin/v1/charging/sites/{site.json()['id']}",
        json={"name": "东区车棚", "power_limit_kw": 0},
        headers=bearer(token),
    )
    assert changed.json()["power_limit_kw"] == 0
    assert_error(
        await client.post("/admin/v1/charging/sites", json={"name": "东区车棚"}, headers=bearer(token)),
        409,
        "charging.site_name_taken",
    )
    card = await client.post(
        "/admin/v1/charging/tags", json={"id_tag": "FLEET0009", "plate": "浙AD12345"}, headers=bearer(token)
    )
    assert card.status_code == 201 and card.json()["plate"] == "浙AD12345"
    assert_error(
        await client.post(
            "/admin/v1/charging/tags", json={"id_tag": "FLEET0010", "plate": "浙B00000"}, headers=bearer(token)
        ),
        409,
        "charging.vehicle_not_chargeable",
    )
    blocked = await client.put(
        f"/admin/v1/charging/tags/{card.json()['id']}/blocked",
        json={"blocked": True, "reason": "遗失"},
        headers=bearer(token),
    )
    assert blocked.json()["blocked"] is True


async def test_an_operator_sends_a_command_and_hears_the_pile_is_offline(client, charging_world):
    token = await admin_token(client, "operator", ["charging.view_charging", "charging.send_commands"])
    path = f"/admin/v1/charging/piles/{charging_world.pile.id}/commands"
    answer = await client.post(path, json={"action": "unlock_connector", "connector_id": 1}, headers=bearer(token))
    assert (
        answer.status_code == 200 and answer.json()["state"] == "offline" and answer.json()["state_label"] == "桩不在线"
    )
    assert (await Command.get(pile_id=charging_world.pile.id)).payload == {"connector_id": 1}
    assert_error(await client.post(path, json={"action": "fly"}, headers=bearer(token)), 422, "common.invalid_input")
    assert_error(
        await client.post(path, json={"action": "remote_stop", "transaction_id": 5}, headers=bearer(token)),
        422,
        "charging.command_invalid",
    )


async def test_finance_adds_a_tariff_version(client, charging_world):
    token = await admin_token(client, "finance", ["charging.view_charging", "charging.manage_tariff"])
    starts = (now() + timedelta(days=2)).isoformat()
    body = {"name": "2027 年分时电价", "effective_from": starts, "service_fee_fen_per_kwh": 45, "seasons": SEASONS}
    created = await client.post("/admin/v1/charging/tariffs", json=body, headers=bearer(token))
    assert created.status_code == 201 and (await Tariff.get(id=created.json()["id"])).service_fee_fen_per_kwh == 45
    assert_error(
        await client.post(
            "/admin/v1/charging/tariffs", json={**body, "service_fee_fen_per_kwh": 5000}, headers=bearer(token)
        ),
        422,
        "common.invalid_input",
    )
