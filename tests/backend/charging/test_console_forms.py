"""The charging console's forms: a site and a pile are registered through the pages (the pile's
password shown once on its page, never again), a password reset and a pile's disabling, fleet
cards registered and blocked, a new tariff version from the form's seasons and periods, and a
remote command sent (audited) with its checks said at the field."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.models import Command, Pile, Site, Tag, Tariff
from backend.charging.service import piles, records
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from tests.helpers import console_admin

STAFF = ["charging.view_charging", "charging.manage_piles"]
VIEWER = ["charging.view_charging"]


async def test_staff_register_a_site_and_a_pile_whose_password_is_shown_once(client, charging_world):
    csrf = await console_admin(client, "staff", STAFF)
    saved = await client.post(
        "/console/charging/sites",
        data={"csrf_token": csrf, "name": "东区车棚", "address": "东门", "power_limit_kw": "60", "is_active": "on"},
    )
    assert saved.status_code == 302 and saved.headers["location"].endswith("?done=site_saved")
    site = await Site.get(name="东区车棚")
    assert site.power_limit_w == 60_000
    taken = await client.post(
        "/console/charging/sites", data={"csrf_token": csrf, "name": "东区车棚", "power_limit_kw": "0"}
    )
    assert taken.status_code == 422 and "充电站点“东区车棚”已存在" in taken.text
    edited = await client.post(
        "/console/charging/sites",
        data={"csrf_token": csrf, "site_id": str(site.id), "name": "东区车棚", "power_limit_kw": "40"},
    )
    assert edited.status_code == 302
    site = await Site.get(id=site.id)
    assert site.power_limit_w == 40_000 and not site.is_active  # the box was left unticked

    bad = await client.post(
        "/console/charging/piles",
        data={
            "csrf_token": csrf,
            "site_id": str(charging_world.site.id),
            "box_id": "CP 9",
            "name": "9 号桩",
            "connectors": "2",
            "max_power_kw": "7",
        },
    )
    assert bad.status_code == 422 and "桩编号只能由字母、数字" in bad.text
    created = await client.post(
        "/console/charging/piles",
        data={
            "csrf_token": csrf,
            "site_id": str(charging_world.site.id),
            "box_id": "CP-1009",
            "name": "9 号桩",
            "connectors": "2",
            "max_power_kw": "7",
        },
    )
    assert created.status_code == 201 and "仅显示这一次" in created.text
    pile = await Pile.get(box_id="CP-1009")
    password = created.text.split('data-testid="password-value">')[1].split("<")[0]
    assert await piles.find_for_login("CP-1009", password) is not None
    again = await client.get(f"/console/charging/piles/{pile.id}")
    assert password not in again.text and 'data-testid="pile-password"' not in again.text
    assert "/c/CP-1009/1" in again.text and "/c/CP-1009/2" in again.text  # one QR per connector

    reset = await client.post(f"/console/charging/piles/{pile.id}/password", data={"csrf_token": csrf})
    new = reset.text.split('data-testid="password-value">')[1].split("<")[0]
    assert new != password and await piles.find_for_login("CP-1009", password) is None
    off = await client.post(f"/console/charging/piles/{pile.id}/active", data={"csrf_token": csrf, "active": "0"})
    assert off.headers["location"].endswith("?done=disabled") and not (await Pile.get(id=pile.id)).is_active
    wrong = await client.post(f"/console/charging/piles/{pile.id}/active", data={"csrf_token": csrf, "active": "x"})
    assert wrong.status_code == 422
    actions = [e.action for e in await AuditEntry.filter(object_type="pile", object_id=str(pile.id)).order_by("id")]
    assert actions == ["charging.create_pile", "charging.reset_pile_password", "charging.set_pile_active"]


async def test_a_viewer_may_not_write(client, charging_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    pile = charging_world.pile
    assert (
        await client.post(f"/console/charging/piles/{pile.id}/password", data={"csrf_token": csrf})
    ).status_code == 403
    assert (
        await client.post("/console/charging/tags", data={"csrf_token": csrf, "id_tag": "F9", "plate": "浙AD12345"})
    ).status_code == 403
    assert (
        await client.post(
            "/console/charging/commands", data={"csrf_token": csrf, "pile_id": str(pile.id), "action": "reset"}
        )
    ).status_code == 403
    assert (await client.post("/console/charging/tariffs", data={"csrf_token": csrf})).status_code == 403
    assert not await AuditEntry.filter(action__startswith="charging.").exists()


async def test_fleet_cards_are_registered_by_plate_and_blocked_with_a_reason(client, charging_world):
    csrf = await console_admin(client, "staff", STAFF)
    refused = await client.post(
        "/console/charging/tags", data={"csrf_token": csrf, "id_tag": "F9", "plate": "浙A99999"}
    )
    assert refused.status_code == 422 and "车辆“浙A99999”不是在用的新能源公务车" in refused.text
    form = {"csrf_token": csrf, "id_tag": "f9a1b2c3", "plate": "浙AD12345"}
    done = await client.post("/console/charging/tags", data=form)
    assert done.headers["location"].endswith("?done=registered")
    tag = await Tag.get(id_tag="F9A1B2C3")
    listed = (await client.get("/console/charging/tags")).text
    # A card is cloned from its number: the list shows it masked, and finds it by part of it.
    assert "F9A1****C3" in listed and "F9A1B2C3" not in listed
    assert "浙AD12345" in listed and "公务车充电卡" in listed
    assert "F9A1****C3" in (await client.get("/console/charging/tags?q=b2c")).text
    # The audit log names the card the same way.
    assert await records.describe_tags([tag.id]) == {tag.id: "公务车充电卡 F9A1****C3"}
    no_reason = await client.post(f"/console/charging/tags/{tag.id}/block", data={"csrf_token": csrf, "blocked": "1"})
    assert no_reason.status_code == 422 and not (await Tag.get(id=tag.id)).blocked
    blocked = await client.post(
        f"/console/charging/tags/{tag.id}/block", data={"csrf_token": csrf, "blocked": "1", "reason": "卡片遗失"}
    )
    assert blocked.headers["location"].endswith("?done=blocked")
    assert (await Tag.get(id=tag.id)).blocked_reason == "卡片遗失"
    assert "卡片遗失" in (await client.get("/console/charging/tags?blocked=1")).text


def _tariff_form(csrf: str, starts: str) -> dict:
    """Two seasons: summer (7-9) with a sharp band at noon, the rest of the year flat and valley."""
    form = {"csrf_token": csrf, "name": "2027 年分时电价", "effective_from": starts, "service_fee": "0.40"}
    form |= {"s0_name": "夏季", "s0_sharp": "1.50", "s0_peak": "1.10", "s0_valley": "0.30"}
    form |= {"s0_p0_from": "00:00", "s0_p0_to": "08:00", "s0_p0_band": "valley"}
    form |= {"s0_p1_from": "08:00", "s0_p1_to": "11:00", "s0_p1_band": "peak"}
    form |= {"s0_p2_from": "11:00", "s0_p2_to": "13:00", "s0_p2_band": "sharp"}
    form |= {"s0_p3_from": "13:00", "s0_p3_to": "24:00", "s0_p3_band": "peak"}
    form |= {"s1_name": "其他月份", "s1_flat": "0.70", "s1_valley": "0.30"}
    form |= {"s1_p0_from": "00:00", "s1_p0_to": "08:00", "s1_p0_band": "valley"}
    form |= {"s1_p1_from": "08:00", "s1_p1_to": "24:00", "s1_p1_band": "flat"}
    return form


async def test_a_new_tariff_version_is_made_from_the_forms_seasons_periods_and_prices_in_yuan(client, charging_world):
    csrf = await console_admin(client, "finance", ["charging.view_charging", "charging.manage_tariff"])
    page = (await client.get("/console/charging/tariffs")).text
    assert "执行中" in page and 'value="1.10"' in page  # the form starts as a copy of the tariff in force
    starts = (now() + timedelta(days=1)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    form = _tariff_form(csrf, starts)
    body = {**form, "s0_months": ["7", "8", "9"], "s1_months": [str(m) for m in (1, 2, 3, 4, 5, 6, 10, 11, 12)]}
    bad_price = await client.post("/console/charging/tariffs", data={**body, "s1_flat": "七毛"})
    assert bad_price.status_code == 422 and "请输入每千瓦时的价格" in bad_price.text
    assert 'value="七毛"' in bad_price.text  # what was typed is put back
    assert not await Tariff.filter(name="2027 年分时电价").exists()
    saved = await client.post("/console/charging/tariffs", data=body)
    assert saved.status_code == 302 and saved.headers["location"].endswith("?done=created")
    tariff = await Tariff.get(name="2027 年分时电价")
    assert tariff.service_fee_fen_per_kwh == 40
    summer, rest = tariff.seasons
    assert summer["months"] == [7, 8, 9] and summer["prices"] == {"sharp": 150, "peak": 110, "valley": 30}
    assert summer["periods"][2] == {"from": "11:00", "to": "13:00", "band": "sharp"}
    assert rest["prices"] == {"flat": 70, "valley": 30} and len(rest["periods"]) == 2
    assert await AuditEntry.filter(action="charging.create_tariff", object_id=str(tariff.id)).exists()
    assert "待生效" in (await client.get("/console/charging/tariffs")).text


async def test_a_remote_command_is_sent_from_the_form_audited_and_listed_with_its_answer(client, charging_world):
    csrf = await console_admin(client, "operator", ["charging.view_charging", "charging.send_commands"])
    pile = charging_world.pile
    unpicked = await client.post("/console/charging/commands", data={"csrf_token": csrf, "action": "reset"})
    assert unpicked.status_code == 422 and "请选择充电桩" in unpicked.text
    bad = await client.post(
        "/console/charging/commands",
        data={"csrf_token": csrf, "pile_id": str(pile.id), "action": "unlock_connector", "connector_id": "5"},
    )
    assert bad.status_code == 422 and "枪号应为 1 到 2 之间的整数" in bad.text
    assert not await Command.exists()
    sent = await client.post(
        "/console/charging/commands",
        data={"csrf_token": csrf, "pile_id": str(pile.id), "action": "reset", "hard": "on"},
    )
    assert sent.status_code == 302 and sent.headers["location"].endswith(f"?pile={pile.id}&done=offline")
    command = await Command.get(pile_id=pile.id)
    assert command.payload == {"hard": True} and command.admin_id is not None
    entry = await AuditEntry.get(action="charging.send_command")
    assert entry.after == {"box_id": "CP-1001", "action": "reset", "payload": {"hard": True}}
    history = (await client.get(sent.headers["location"])).text
    assert "充电桩不在线，指令未送达" in history and "重启" in history and "硬重启：是" in history
    assert "管理员 operator" in history
