"""Settings of the approvals module, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class ApprovalsSettings:
    # WECHAT_APPROVAL_TEMPLATE_ID: WeChat's id of the "待您审批" notice template ("" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ApprovalsSettings:
        return cls(notice_template_id=env.get("WECHAT_APPROVAL_TEMPLATE_ID", "").strip())
