"""Settings of the repairs module, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.config import int_setting


@dataclass(frozen=True)
class RepairsSettings:
    # REPAIRS_AUTO_CLOSE_DAYS: days after a repair is done before an unconfirmed report closes.
    auto_close_days: int = 3
    # WECHAT_REPAIR_TEMPLATE_ID: WeChat's id of the progress notice template ("" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RepairsSettings:
        days = int_setting(env, "REPAIRS_AUTO_CLOSE_DAYS", 3)
        if days < 1:
            raise ValueError(f"REPAIRS_AUTO_CLOSE_DAYS must be at least 1, got {days}")
        return cls(auto_close_days=days, notice_template_id=env.get("WECHAT_REPAIR_TEMPLATE_ID", "").strip())
