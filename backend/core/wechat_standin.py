"""The embedded default's stand-in of WeChat (WECHAT_STANDIN=1): the demo, and the mini-program's
H5 build in a browser, log cadres in without WeChat.

It plays WeChat's part of the login: it hands out the codes `wx.login` and the phone-number button
would give (`issue_login_code`, `issue_phone_code`, for a phone the person types) and redeems them
as code2session and getuserphonenumber do, each code once within CODE_TTL seconds. The openid of a
phone is always the same, so a person bound once is recognised on the next login. Subscribe
messages are kept (the newest KEPT_MESSAGES) instead of being sent. Settings refuse it beside a
real WECHAT_APPID and outside the embedded default, so production never has it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets

import redis

from backend.core.wechat import WeChatCodeRejected, WeChatSession

CODE_TTL = 300
KEPT_MESSAGES = 200
MESSAGES_KEY = "wechat-standin:messages"
_INVALID_CODE = (40029, "invalid code")

log = logging.getLogger(__name__)


def openid_of(phone: str) -> str:
    return "standin-" + hashlib.sha256(phone.encode()).hexdigest()[:24]


class WeChatStandIn:
    """WeChat's mini-program server API as the login and the notices use it, kept in the
    embedded default's in-process Redis (so every request of the one server process sees it)."""

    configured = True

    def __init__(self, redis_client: redis.Redis):
        self._redis = redis_client

    def close(self) -> None:
        self._redis.close()

    def _issue(self, kind: str, value: str) -> str:
        code = secrets.token_urlsafe(18)
        self._redis.set(f"wechat-standin:{kind}:{code}", value, ex=CODE_TTL)
        return code

    def _redeem(self, kind: str, code: str) -> str:
        value = self._redis.getdel(f"wechat-standin:{kind}:{code}")
        if value is None:
            raise WeChatCodeRejected(*_INVALID_CODE)
        return value.decode() if isinstance(value, bytes) else str(value)

    def issue_login_code(self, phone: str) -> str:
        """What `wx.login` would give the person whose WeChat account is tied to `phone`."""
        return self._issue("login", openid_of(phone))

    def issue_phone_code(self, phone: str) -> str:
        """What the phone-number button would give when the person agrees to share `phone`."""
        return self._issue("phone", phone)

    async def code_to_session(self, js_code: str) -> WeChatSession:
        return WeChatSession(self._redeem("login", js_code), secrets.token_urlsafe(16), None)

    async def phone_number(self, phone_code: str) -> str:
        return self._redeem("phone", phone_code)

    async def send_subscribe_message(self, openid: str, template_id: str, data: dict[str, str], page: str) -> None:
        message = {"touser": openid, "template_id": template_id, "page": page, "data": data}
        self._redis.lpush(MESSAGES_KEY, json.dumps(message, ensure_ascii=False))
        self._redis.ltrim(MESSAGES_KEY, 0, KEPT_MESSAGES - 1)
        log.info("wechat stand-in kept a subscribe message to %s (%s)", openid, template_id)

    def messages(self) -> list[dict]:
        """The kept subscribe messages, newest first."""
        return [json.loads(raw) for raw in self._redis.lrange(MESSAGES_KEY, 0, -1)]
