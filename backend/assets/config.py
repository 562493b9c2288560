"""Settings of the assets module, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.config import int_setting


@dataclass(frozen=True)
class AssetsSettings:
    # ASSETS_QR_BASE_URL: the address asset and room QR codes point to (the platform's public
    # address, registered in WeChat as a 扫普通链接二维码 rule that opens the mini-program).
    qr_base_url: str = "http://localhost:8000"
    # ASSETS_LOAN_REMIND_DAYS: days before a 公物仓 loan's return date its borrower is reminded.
    loan_remind_days: int = 2
    # WECHAT_ASSETS_TEMPLATE_ID: WeChat's id of the assets notice (request decided, loan due;
    # "" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AssetsSettings:
        remind = int_setting(env, "ASSETS_LOAN_REMIND_DAYS", 2)
        if not 0 <= remind <= 30:
            raise ValueError(f"ASSETS_LOAN_REMIND_DAYS must be between 0 and 30, got {remind}")
        base = env.get("ASSETS_QR_BASE_URL", "").strip().rstrip("/") or "http://localhost:8000"
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"ASSETS_QR_BASE_URL must start with http:// or https://, got {base!r}")
        return cls(
            qr_base_url=base,
            loan_remind_days=remind,
            notice_template_id=env.get("WECHAT_ASSETS_TEMPLATE_ID", "").strip(),
        )
