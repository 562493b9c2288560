"""The one adapter to WeChat's mini-program server API (through wechatpy).

Its base URL is configuration, so tests run it against a local stand-in of WeChat's HTTP API.
wechatpy is synchronous: every call goes to a thread so the event loop never waits on WeChat.
The access token is cached in Redis (shared by every worker and host), as WeChat requires one
token per app at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

import redis
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

# WeChat answers these for a bad, used or expired js_code / phone code (a wrong appsecret,
# 40125, is our configuration problem and stays "unavailable").
INVALID_CODE_ERRCODES = {40029, 40163, 40226}
# A subscribe message WeChat will never deliver, however often it is sent: the user has not
# subscribed (or used up the subscription), the openid or template is wrong, the data is invalid.
MESSAGE_REFUSED_ERRCODES = {43101, 40003, 40037, 47003}


class WeChatUnavailable(Exception):
    """WeChat did not answer, or answered with a server-side error."""


class WeChatCodeRejected(Exception):
    """WeChat refused the code the mini-program sent (invalid, used or expired)."""

    def __init__(self, errcode: int | None, errmsg: str | None):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode


class WeChatMessageRefused(Exception):
    """WeChat refused a subscribe message for good (see MESSAGE_REFUSED_ERRCODES)."""

    def __init__(self, errcode: int | None, errmsg: str | None):
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode


@dataclass(frozen=True)
class WeChatSession:
    openid: str
    session_key: str
    unionid: str | None


class WeChatApi(Protocol):
    """What the login and the notices use of WeChat: `MiniProgram`, or the embedded default's
    stand-in (backend.core.wechat_standin)."""

    configured: bool

    def close(self) -> None: ...

    async def code_to_session(self, js_code: str) -> WeChatSession: ...

    async def phone_number(self, phone_code: str) -> str: ...

    async def send_subscribe_message(self, openid: str, template_id: str, data: dict[str, str], page: str) -> None: ...


class _Client(WeChatClient):
    """wechatpy's client with every URL under the configured base."""

    def __init__(self, api_base: str, *args, **kwargs):
        self.API_BASE_URL = f"{api_base}/cgi-bin/"
        self._api_base = api_base
        super().__init__(*args, **kwargs)
        self.wxa.API_BASE_URL = f"{api_base}/"

    def fetch_access_token(self):
        return self._fetch_access_token(
            url=f"{self._api_base}/cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class MiniProgram:
    def __init__(self, appid: str, secret: str, api_base: str, redis_client: redis.Redis, timeout: float = 5):
        self.configured = bool(appid and secret)
        self._redis = redis_client
        self._client = _Client(
            api_base,
            appid,
            secret,
            session=RedisStorage(redis_client, prefix="wechat"),
            timeout=timeout,
        )

    def close(self) -> None:
        self._redis.close()

    def _call(self, fn, *args):
        try:
            return fn(*args)
        except WeChatClientException as exc:
            if exc.errcode in INVALID_CODE_ERRCODES:
                raise WeChatCodeRejected(exc.errcode, exc.errmsg) from exc
            if exc.errcode in MESSAGE_REFUSED_ERRCODES:
                raise WeChatMessageRefused(exc.errcode, exc.errmsg) from exc
            raise WeChatUnavailable(f"{exc.errcode}: {exc.errmsg}") from exc
        except (requests.RequestException, ValueError) as exc:
            raise WeChatUnavailable(str(exc)) from exc

    async def code_to_session(self, js_code: str) -> WeChatSession:
        data = await asyncio.to_thread(self._call, self._client.wxa.code_to_session, js_code)
        if not data.get("openid") or not data.get("session_key"):
            raise WeChatUnavailable("code2session answered without openid")
        return WeChatSession(data["openid"], data["session_key"], data.get("unionid"))

    async def phone_number(self, phone_code: str) -> str:
        """The phone number the user agreed to share (getuserphonenumber), without country code."""

        def call() -> dict:
            return self._client.post(
                "wxa/business/getuserphonenumber", data={"code": phone_code}, api_base_url=f"{self._client._api_base}/"
            )

        data = await asyncio.to_thread(self._call, call)
        info = data.get("phone_info") or {}
        if not info.get("purePhoneNumber"):
            raise WeChatUnavailable("getuserphonenumber answered without a number")
        return info["purePhoneNumber"]

    async def send_subscribe_message(self, openid: str, template_id: str, data: dict[str, str], page: str) -> None:
        """One subscribe message (订阅消息); `data` maps the template's keys to their values."""
        payload = {key: {"value": value} for key, value in data.items()}
        await asyncio.to_thread(self._call, self._client.wxa.send_subscribe_message, openid, template_id, payload, page)
