"""The subscribe-message templates the mini-program asks a cadre to subscribe to."""

from tests.helpers import bearer, seed_units_and_roster
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


async def test_a_cadre_gets_the_configured_template_of_every_notice(client, runtime, wechat):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    answer = await client.get("/mp/v1/notices/templates", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    templates = answer.json()["templates"]
    assert templates["repairs.progress"] == "tpl-repair-progress"
    assert templates["energy.alert"] == "tpl-energy-alert"
    assert set(templates) >= {"approvals.pending", "fleet.request", "shop.order", "access.visit"}


async def test_the_templates_need_a_cadre_session(client):
    assert_error(await client.get("/mp/v1/notices/templates"), 401, "auth.not_authenticated")
