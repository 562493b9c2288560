"""Settings of gates and visitors, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.config import bounded_setting


def _minute_of_day(env: Mapping[str, str], name: str, default: str) -> int:
    raw = env.get(name, "").strip() or default
    hours, _, minutes = raw.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{name} must be a time of day HH:MM, got {raw!r}")
    value = int(hours) * 60 + int(minutes)
    if not 0 < value < 24 * 60:
        raise ValueError(f"{name} must be a time of day between 00:01 and 23:59, got {raw!r}")
    return value


@dataclass(frozen=True)
class AccessSettings:
    # ACCESS_RETENTION_DAYS: visitors' records (details, passes) are purged this many days after
    # the visit ended.
    retention_days: int = 180
    # ACCESS_QR_STEP_SECONDS: the mini-program's pass QR is signed afresh every step; a gate takes
    # a token from the current step or the one before (ACCESS_QR_TOLERANCE_STEPS), so a forwarded
    # screenshot soon stops working.
    qr_step_seconds: int = 60
    qr_tolerance_steps: int = 1
    # ACCESS_INVITE_LINK_HOURS: how long an invitation link can be opened (once).
    invite_link_hours: int = 72
    # ACCESS_PASS_ENTRIES: how many entries an invitation's pass allows in its window (a printed
    # slip always allows one).
    pass_entries: int = 4
    # ACCESS_MAX_COMPANIONS: people coming with a visitor on the same pass.
    max_companions: int = 10
    # ACCESS_DAY_END: visitors still inside at this time are signed out automatically and listed
    # for the guard.
    day_end_minute: int = 22 * 60
    # ACCESS_CAMERA_SKEW_SECONDS: how far a signed camera event's timestamp may be from the clock.
    camera_skew_seconds: int = 300
    # ACCESS_LINK_BASE_URL: the public address an invitation link starts with
    # (`<base>/v/<link>`, opened by the mini-program or its H5 page).
    link_base_url: str = "http://localhost:8000"
    # WECHAT_ACCESS_TEMPLATE_ID: WeChat's id of the visitor notice (a visitor asks for a visit,
    # completed an invitation, arrived, overstays; "" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AccessSettings:
        base = env.get("ACCESS_LINK_BASE_URL", "").strip().rstrip("/") or cls.link_base_url
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"ACCESS_LINK_BASE_URL must be an http(s) URL, got {base!r}")
        return cls(
            retention_days=bounded_setting(env, "ACCESS_RETENTION_DAYS", 180, 1, 3650),
            qr_step_seconds=bounded_setting(env, "ACCESS_QR_STEP_SECONDS", 60, 15, 600),
            qr_tolerance_steps=bounded_setting(env, "ACCESS_QR_TOLERANCE_STEPS", 1, 0, 5),
            invite_link_hours=bounded_setting(env, "ACCESS_INVITE_LINK_HOURS", 72, 1, 24 * 30),
            pass_entries=bounded_setting(env, "ACCESS_PASS_ENTRIES", 4, 1, 100),
            max_companions=bounded_setting(env, "ACCESS_MAX_COMPANIONS", 10, 0, 100),
            day_end_minute=_minute_of_day(env, "ACCESS_DAY_END", "22:00"),
            camera_skew_seconds=bounded_setting(env, "ACCESS_CAMERA_SKEW_SECONDS", 300, 10, 3600),
            link_base_url=base,
            notice_template_id=env.get("WECHAT_ACCESS_TEMPLATE_ID", "").strip(),
        )
