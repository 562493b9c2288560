"""Tables of the notices module: the outbox of WeChat subscribe messages (订阅消息) to cadres."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class NoticeState(LabelledEnum):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    # Cannot be sent as things are (not subscribed, no WeChat): recorded, never retried.
    REFUSED = "refused", "无法发送"
    # WeChat kept failing: given up after the retries.
    FAILED = "failed", "发送失败"


class Notice(Model):
    """A subscribe message to a cadre, waiting to be sent or sent.

    Queued by a module in the transaction of what it tells, sent by a job. `template` names a
    template a module declares, `subject_id` what the message is about in that template's terms
    (for repairs.progress, a step of a report's timeline), read when it is sent."""

    id = fields.IntField(primary_key=True)
    template = fields.CharField(max_length=64)
    person = fields.ForeignKeyField("houqin.Person", related_name="notices", on_delete=fields.CASCADE)
    subject_id = fields.IntField()
    state = fields.CharEnumField(NoticeState, max_length=16, default=NoticeState.PENDING)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=200, default="")
    next_attempt_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "notices_notice"
