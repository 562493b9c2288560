"""Cadre login through the embedded default's stand-in of WeChat (the demo, and the H5 build in a
browser): the same codes, the same binding by phone, and nowhere else."""

import dataclasses

import pytest

from backend.core.config import Settings
from backend.core.redis import make_sync_redis
from backend.core.wechat import MiniProgram
from backend.core.wechat_standin import WeChatStandIn
from tests.helpers import bearer, seed_units_and_roster
from tests.helpers.errors import assert_error


@pytest.fixture
def stand_in(runtime, settings):
    """The running app's WeChat swapped for the stand-in, as `houqin run` sets it up."""
    real = runtime.cadre_auth
    runtime.cadre_auth = dataclasses.replace(real, wechat=WeChatStandIn(make_sync_redis(settings.redis_url)))
    yield runtime.cadre_auth.wechat
    runtime.cadre_auth.wechat.close()
    runtime.cadre_auth = real


async def standin_login(client, phone: str):
    code = (await client.post("/mp/v1/auth/standin/login-code", json={"phone": phone})).json()["code"]
    return await client.post("/mp/v1/auth/login", json={"code": code})


async def test_a_demo_cadre_logs_in_binds_by_phone_and_is_known_on_the_next_login(client, runtime, stand_in):
    await seed_units_and_roster(runtime.cipher)
    assert (await client.get("/mp/v1/auth/config")).json() == {"wechat": "standin"}
    first = (await standin_login(client, "13800000001")).json()
    assert first["bound"] is False
    phone_code = (await client.post("/mp/v1/auth/standin/phone-code", json={"phone": "13800000001"})).json()["code"]
    bound = await client.post("/mp/v1/auth/bind", json={"bind_ticket": first["bind_ticket"], "phone_code": phone_code})
    assert bound.status_code == 200, bound.text
    assert (await client.get("/mp/v1/me", headers=bearer(bound.json()["token"]))).json()["name"] == "张伟"
    again = (await standin_login(client, "13800000001")).json()
    assert again["bound"] is True and again["profile"]["name"] == "张伟"


async def test_a_stand_in_code_is_good_once(client, runtime, stand_in):
    await seed_units_and_roster(runtime.cipher)
    code = (await client.post("/mp/v1/auth/standin/login-code", json={"phone": "13800000002"})).json()["code"]
    assert (await client.post("/mp/v1/auth/login", json={"code": code})).status_code == 200
    assert_error(await client.post("/mp/v1/auth/login", json={"code": code}), 400, "accounts.wechat_code_invalid")
    ticket = (await standin_login(client, "13800000002")).json()["bind_ticket"]
    made_up = await client.post("/mp/v1/auth/bind", json={"bind_ticket": ticket, "phone_code": "not-issued"})
    assert_error(made_up, 400, "accounts.phone_code_invalid")


async def test_a_phone_not_on_the_roster_cannot_bind_through_the_stand_in(client, runtime, stand_in):
    await seed_units_and_roster(runtime.cipher)
    ticket = (await standin_login(client, "13911112222")).json()["bind_ticket"]
    phone_code = (await client.post("/mp/v1/auth/standin/phone-code", json={"phone": "13911112222"})).json()["code"]
    refused = await client.post("/mp/v1/auth/bind", json={"bind_ticket": ticket, "phone_code": phone_code})
    assert_error(refused, 403, "accounts.phone_not_in_roster")


@pytest.mark.parametrize("phone", ["12800000001", "1380000000", "138000000011", "１３８００００００01", ""])
async def test_the_stand_in_refuses_what_is_not_a_mobile_number(client, stand_in, phone):
    assert_error(
        await client.post("/mp/v1/auth/standin/login-code", json={"phone": phone}), 422, "common.invalid_input"
    )


async def test_with_real_wechat_the_stand_in_codes_are_refused(client):
    assert (await client.get("/mp/v1/auth/config")).json() == {"wechat": "configured"}
    for path in ("/mp/v1/auth/standin/login-code", "/mp/v1/auth/standin/phone-code"):
        assert_error(await client.post(path, json={"phone": "13800000001"}), 404, "accounts.wechat_standin_off")


async def test_without_wechat_configured_the_login_says_so(client, runtime, settings):
    real = runtime.cadre_auth
    absent = MiniProgram("", "", settings.wechat_api_base, make_sync_redis(settings.redis_url))
    runtime.cadre_auth = dataclasses.replace(real, wechat=absent)
    try:
        assert (await client.get("/mp/v1/auth/config")).json() == {"wechat": "absent"}
        assert_error(await client.post("/mp/v1/auth/login", json={"code": "x"}), 503, "accounts.wechat_not_configured")
    finally:
        absent.close()
        runtime.cadre_auth = real


@pytest.mark.parametrize(
    "env",
    [
        {"WECHAT_STANDIN": "1", "WECHAT_APPID": "wx123", "WECHAT_SECRET": "s"},
        {"WECHAT_STANDIN": "1", "REDIS_URL": "redis://127.0.0.1:6379/0", "HOUQIN_DATA_KEY": "A" * 43 + "="},
        {"WECHAT_STANDIN": "yes"},
    ],
)
def test_the_stand_in_is_refused_beside_real_wechat_and_in_production(tmp_path, env):
    with pytest.raises(ValueError, match="WECHAT_STANDIN"):
        Settings.from_env({"HOUQIN_VAR_DIR": str(tmp_path), **env})


async def test_the_stand_in_keeps_subscribe_messages_instead_of_sending_them(settings):
    stand_in = WeChatStandIn(make_sync_redis(settings.redis_url))
    try:
        await stand_in.send_subscribe_message("standin-x", "tpl", {"thing1": "报修已受理"}, "pages/repairs/detail?id=1")
        assert stand_in.messages()[0] == {
            "touser": "standin-x",
            "template_id": "tpl",
            "page": "pages/repairs/detail?id=1",
            "data": {"thing1": "报修已受理"},
        }
    finally:
        stand_in.close()
