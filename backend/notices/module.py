"""The notices module: WeChat subscribe messages (订阅消息) to cadres, queued by any module with
a template it declares (`Module.notice_templates`) and sent by a job with retries."""

from __future__ import annotations

from backend.core.modules import Module

MODULE = Module(
    name="notices",
    title="订阅消息",
    models="backend.notices.models",
    jobs="backend.notices.jobs",
)
