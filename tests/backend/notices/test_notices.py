"""The notices outbox for any module's template: a failure is retried with a growing pause and
given up after MAX_ATTEMPTS; what cannot change (nothing configured, the subject gone) is
recorded and never retried."""

from datetime import timedelta

from tortoise.transactions import in_transaction

from backend.accounts.models import Person
from backend.core.timeutil import now
from backend.notices import service as notices
from backend.notices.models import Notice, NoticeState
from backend.repairs.service import reports
from backend.repairs.service.reports import Who
from backend.runtime import make_mini_program


async def _bound_cadre() -> int:
    person = await Person.get(employee_no="D0001")
    await Person.filter(id=person.id).update(wechat_openid="o-zhangwei")
    return person.id


async def _notice_of_a_repair(repairs_world) -> Notice:
    """Lighting is assigned as it is filed: that step is a notice to the reporter."""
    reporter = await Who.of_cadre(await _bound_cadre())
    await reports.submit(reporter, "ref-1", repairs_world.lighting, repairs_world.room, "", "灯不亮", [], now())
    return await Notice.get()


async def test_wechat_down_is_retried_with_growing_pauses_then_given_up(app, wechat, settings, repairs_world):
    notice = await _notice_of_a_repair(repairs_world)
    wechat.state.busy = True
    at, pauses = now(), []
    for _ in range(notices.MAX_ATTEMPTS - 1):
        assert (await notices.send_due(make_mini_program(settings), notices.template_ids(settings), at))["retry"] == 1
        following = (await Notice.get(id=notice.id)).next_attempt_at
        pauses.append(following - at)
        at = following
    last = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), at)
    assert pauses == [timedelta(minutes=m) for m in (2, 4, 8, 16)] and last["failed"] == 1
    given_up = await Notice.get(id=notice.id)
    assert given_up.state == NoticeState.FAILED and given_up.attempts == notices.MAX_ATTEMPTS
    assert wechat.state.messages == []


async def test_a_notice_whose_template_is_not_configured_or_whose_subject_is_gone_is_refused(
    app, wechat, settings, repairs_world
):
    unconfigured = await _notice_of_a_repair(repairs_world)
    sent = await notices.send_due(make_mini_program(settings), {"repairs.progress": ""}, now())
    assert sent["refused"] == 1 and "未配置" in (await Notice.get(id=unconfigured.id)).last_error
    async with in_transaction() as conn:  # about a step of a report that does not exist
        await notices.queue(conn, "repairs.progress", unconfigured.person_id, 999_999, now())
    sent = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    assert sent == {"sent": 0, "refused": 1, "retry": 0, "failed": 0}
    assert await Notice.filter(state=NoticeState.REFUSED).count() == 2 and wechat.state.messages == []


def test_every_declared_template_names_a_setting(settings):
    assert notices.template_ids(settings) == {
        "repairs.progress": "tpl-repair-progress",
        "approvals.pending": "tpl-approval-pending",
        "fleet.request": "tpl-fleet-progress",
        "fleet.assignment": "tpl-fleet-progress",
        "shop.order": "tpl-shop-order",
        "assets.request": "tpl-assets-progress",
        "assets.disposal": "tpl-assets-progress",
        "charging.session": "tpl-charging-session",
        "access.visit": "tpl-access-visit",
        "energy.alert": "tpl-energy-alert",
    }
