"""WeChat subscribe messages (订阅消息) to cadres, for any module: the outbox, and its sending
with retries.

A module declares the templates its notices use (`Module.notice_templates`: the setting that
holds each template's WeChat id, and how to render a message). It queues a notice naming the
template, the cadre and the subject (what the message is about) in the same transaction as what
the notice tells, and a job sends the due ones each minute, rendering each message at that
moment. A failure is retried with a growing pause (2, 4, 8, 16 minutes), up to MAX_ATTEMPTS; a
refusal that cannot change (the cadre never subscribed, no WeChat bound, nothing configured, the
subject gone) is recorded and never retried. Sending claims a notice first, so two runs of the
job never send the same one twice at once. Delivery is at least once: WeChat takes no idempotency
key, so a notice WeChat took just before the sending process died, unrecorded, is sent again once
its claim (CLAIM) has run out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.accounts.service import people
from backend.core.config import Settings
from backend.core.modules import notice_templates, resolve
from backend.core.wechat import WeChatApi, WeChatMessageRefused, WeChatUnavailable
from backend.modules import modules, settings_of
from backend.notices.models import Notice, NoticeState

MAX_ATTEMPTS = 5
CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class Message:
    """What a subscribe message says: the template's fields (key -> value, within WeChat's
    limits for each kind of field) and the mini-program page it opens."""

    data: dict[str, str]
    page: str


async def queue(conn: Any, template: str, person_id: int, subject_id: int, at: datetime) -> None:
    """A notice to `person_id` with `template` about `subject_id`, due at `at`; written with
    `conn`, in the caller's transaction."""
    await Notice.create(
        template=template, person_id=person_id, subject_id=subject_id, next_attempt_at=at, using_db=conn
    )


def template_ids(settings: Settings) -> dict[str, str]:
    """WeChat's id of every template the active modules declare ("" where not configured)."""
    return {
        name: getattr(settings_of(settings, name.partition(".")[0]), t.setting)
        for name, t in notice_templates(modules()).items()
    }


def _renderer(template: str) -> Callable[[int], Awaitable[Message | None]] | None:
    declared = notice_templates(modules()).get(template)
    return resolve(declared.render) if declared else None


async def _finish(notice: Notice, state: NoticeState, error: str = "", at: datetime | None = None) -> None:
    await Notice.filter(id=notice.id).update(state=state, last_error=error[:200], sent_at=at)


async def send_due(
    wechat: WeChatApi, template_ids: Mapping[str, str], at: datetime, limit: int = 100
) -> dict[str, int]:
    """Send the notices whose time has come, with WeChat's template ids by template name (see
    `template_ids`); returns how many ended in each state this run."""
    counts = {"sent": 0, "refused": 0, "retry": 0, "failed": 0}
    due = await Notice.filter(state=NoticeState.PENDING, next_attempt_at__lte=at).order_by("id").limit(limit)
    for notice in due:
        claimed = await Notice.filter(id=notice.id, state=NoticeState.PENDING, attempts=notice.attempts).update(
            attempts=notice.attempts + 1, next_attempt_at=at + CLAIM
        )
        if not claimed:
            continue
        template_id, render = template_ids.get(notice.template, ""), _renderer(notice.template)
        if not (wechat.configured and template_id and render):
            await _finish(notice, NoticeState.REFUSED, "未配置微信小程序或订阅消息模板")
            counts["refused"] += 1
            continue
        openid = await people.wechat_openid(notice.person_id)
        if not openid:
            await _finish(notice, NoticeState.REFUSED, "收件人未绑定微信")
            counts["refused"] += 1
            continue
        message = await render(notice.subject_id)
        if message is None:
            await _finish(notice, NoticeState.REFUSED, "通知所述的内容已不存在")
            counts["refused"] += 1
            continue
        try:
            await wechat.send_subscribe_message(openid, template_id, message.data, message.page)
        except WeChatMessageRefused as refusal:
            await _finish(notice, NoticeState.REFUSED, str(refusal))
            counts["refused"] += 1
        except WeChatUnavailable as failure:
            attempts = notice.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await _finish(notice, NoticeState.FAILED, str(failure))
                counts["failed"] += 1
            else:
                await Notice.filter(id=notice.id).update(
                    last_error=str(failure)[:200], next_attempt_at=at + timedelta(minutes=2**attempts)
                )
                counts["retry"] += 1
        else:
            await _finish(notice, NoticeState.SENT, at=at)
            counts["sent"] += 1
    return counts
