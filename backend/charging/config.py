"""Settings of EV charging, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backend.core.config import bounded_setting


@dataclass(frozen=True)
class ChargingSettings:
    # CHARGING_MIN_BALANCE_FEN: the wallet cash a private car's session needs to start.
    min_balance_fen: int = 1000
    # CHARGING_STOP_MARGIN_FEN: a session is stopped remotely once its running cost comes within
    # this much of the wallet's cash (the energy drawn until the pile obeys).
    stop_margin_fen: int = 200
    # CHARGING_HEARTBEAT_SECONDS: the heartbeat interval given to piles at boot; a pile silent
    # for two intervals is offline.
    heartbeat_seconds: int = 60
    # CHARGING_PING_SECONDS: WebSocket ping interval (and time allowed for the pong), so that a
    # socket left half-open by a power cut is closed quickly.
    ping_seconds: int = 10
    # CHARGING_COMMAND_TIMEOUT_SECONDS: how long a command waits for the pile's answer.
    command_timeout_seconds: int = 10
    # CHARGING_START_TOKEN_MINUTES: how long a mini-program start waits for the cable.
    start_token_minutes: int = 5
    # CHARGING_QR_BASE_URL: the platform's public address that a pile's QR code points to
    # (`<base>/c/<box id>/<connector>`, read by the mini-program's scan).
    qr_base_url: str = "http://localhost:8000"
    # WECHAT_CHARGING_TEMPLATE_ID: WeChat's id of the charging notice (session ended, stopped for
    # balance; "" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChargingSettings:
        base = env.get("CHARGING_QR_BASE_URL", "").strip().rstrip("/") or cls.qr_base_url
        if not base.startswith(("https://", "http://")):
            raise ValueError(f"CHARGING_QR_BASE_URL must be an http(s) URL, got {base!r}")
        return cls(
            min_balance_fen=bounded_setting(env, "CHARGING_MIN_BALANCE_FEN", 1000, 0, 1_000_000),
            stop_margin_fen=bounded_setting(env, "CHARGING_STOP_MARGIN_FEN", 200, 0, 100_000),
            heartbeat_seconds=bounded_setting(env, "CHARGING_HEARTBEAT_SECONDS", 60, 10, 3600),
            ping_seconds=bounded_setting(env, "CHARGING_PING_SECONDS", 10, 2, 120),
            command_timeout_seconds=bounded_setting(env, "CHARGING_COMMAND_TIMEOUT_SECONDS", 10, 1, 120),
            start_token_minutes=bounded_setting(env, "CHARGING_START_TOKEN_MINUTES", 5, 1, 60),
            qr_base_url=base,
            notice_template_id=env.get("WECHAT_CHARGING_TEMPLATE_ID", "").strip(),
        )
