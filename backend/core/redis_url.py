"""What REDIS_URL may name, read once: a Redis server (`redis://`, `rediss://`, `unix://`) or a
master found through Redis Sentinel (`redis+sentinel://`).

The Sentinel form is

    redis+sentinel://[[用户名]:密码@]哨兵1:26379[,哨兵2:26379,...]/主节点名[/库号][?sentinel_password=哨兵密码]

The password in the address is the master's (and its replicas', `requirepass`/`masterauth`);
the Sentinels are often left without one, and Redis refuses AUTH from a client when no
password is set, so a password for the Sentinels themselves is the separate
`sentinel_password`. A port left out is Sentinel's own 26379; a database left out is 0.

Every Redis client of the platform (sessions and nonces, wechatpy's token cache, rate limits,
the job broker, pub/sub) builds its connections from what `parse_sentinel_url` returns, and
settings check the URL at startup, so a mistyped address stops the start with a message
instead of failing at the first request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from redis.connection import parse_url

SENTINEL_SCHEME = "redis+sentinel"
PLAIN_SCHEMES = ("redis", "rediss", "unix")
SENTINEL_PORT = 26379
SENTINEL_FORM = "redis+sentinel://[:密码@]哨兵1:26379[,哨兵2:26379,...]/主节点名/库号"
# A Sentinel answers from memory: one that takes longer is treated as down and the next is asked.
# The master gets the same bound on connecting only (not on commands: XREADGROUP and pub/sub
# wait on purpose), so a master that vanished without a reset is given up on and rediscovered.
SENTINEL_TIMEOUT_SECONDS = 2.0


class RedisUrlError(ValueError):
    """REDIS_URL cannot be used; the message says why, in Chinese, for whoever set it."""


@dataclass(frozen=True)
class SentinelUrl:
    """A master named by Sentinel: where the Sentinels are, the master's name among them
    (`sentinel monitor <名字> ...`), the database, and the passwords."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)

    def master_kwargs(self) -> dict[str, Any]:
        """Connection arguments for the master (and redis-py's pools built on it)."""
        kwargs: dict[str, Any] = {"db": self.db, "socket_connect_timeout": SENTINEL_TIMEOUT_SECONDS}
        if self.username is not None:
            kwargs["username"] = self.username
        if self.password is not None:
            kwargs["password"] = self.password
        return kwargs

    def sentinel_kwargs(self) -> dict[str, Any]:
        """Connection arguments for the Sentinels themselves (redis-py's `sentinel_kwargs`)."""
        kwargs: dict[str, Any] = {
            "socket_connect_timeout": SENTINEL_TIMEOUT_SECONDS,
            "socket_timeout": SENTINEL_TIMEOUT_SECONDS,
        }
        if self.sentinel_password is not None:
            kwargs["password"] = self.sentinel_password
        return kwargs


def _bad(reason: str) -> RedisUrlError:
    return RedisUrlError(f"REDIS_URL 格式不对：{reason}。Sentinel 的写法：{SENTINEL_FORM}")


def is_sentinel_url(url: str) -> bool:
    return url.partition("://")[0].lower() == SENTINEL_SCHEME


def _sentinel_location(location: str) -> tuple[str, int]:
    try:
        parts = urlsplit(f"//{location}")
        host, port = parts.hostname, parts.port
    except ValueError:
        raise _bad(f"哨兵地址 {location!r} 的端口不对（应为 1–65535 的数字）") from None
    if not host:
        raise _bad(f"哨兵地址 {location!r} 没有主机名")
    if port == 0:
        raise _bad(f"哨兵地址 {location!r} 的端口不对（应为 1–65535 的数字）")
    return host, port or SENTINEL_PORT


def parse_sentinel_url(url: str) -> SentinelUrl:
    """The Sentinel address in `url`; RedisUrlError (with the reason) if it is not one."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() != SENTINEL_SCHEME:
        raise _bad(f"应以 {SENTINEL_SCHEME}:// 开头")
    rest, _, query = rest.partition("?")
    if "#" in query or "#" in rest:
        raise _bad("地址里不能有 #（密码中的 # 请写作 %23）")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username = password = None
    if userinfo:
        user, has_password, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if has_password else None
    locations = [location.strip() for location in hosts.split(",")]
    if not any(locations):
        raise _bad("没有哨兵地址")
    if not all(locations):
        raise _bad("哨兵地址之间多了逗号")
    segments = path.split("/") if path else []
    if not segments or not segments[0]:
        raise _bad("缺少主节点名（即 Sentinel 配置 `sentinel monitor` 中的名字，如 mymaster）")
    if len(segments) > 2:
        raise _bad(f"主节点名和库号之后多了 {'/'.join(segments[2:])!r}")
    db = 0
    if len(segments) == 2 and segments[1]:
        if not segments[1].isdigit():
            raise _bad(f"库号 {segments[1]!r} 不对（应为不小于 0 的整数）")
        db = int(segments[1])
    sentinel_password = None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name != "sentinel_password":
            raise _bad(f"不认识的参数 {name!r}（只支持 sentinel_password）")
        sentinel_password = value or None
    return SentinelUrl(
        sentinels=tuple(_sentinel_location(location) for location in locations),
        master_name=unquote(segments[0]),
        db=db,
        username=username,
        password=password,
        sentinel_password=sentinel_password,
    )


def check_redis_url(url: str) -> None:
    """Refuse at startup a REDIS_URL that no client could connect with."""
    scheme, separator, _ = url.partition("://")
    scheme = scheme.lower()
    if not separator:
        raise RedisUrlError(
            f"REDIS_URL 应以 redis://、rediss://、unix:// 或 {SENTINEL_SCHEME}:// 开头（留空则用进程内 Redis）"
        )
    if scheme == SENTINEL_SCHEME:
        parse_sentinel_url(url)
        return
    if scheme not in PLAIN_SCHEMES:
        raise RedisUrlError(
            f"REDIS_URL 的协议 {scheme!r} 不支持：可用 redis://、rediss://、unix:// 或 {SENTINEL_SCHEME}://"
            "（留空则用进程内 Redis）"
        )
    try:
        parse_url(url)
    except ValueError as exc:
        raise RedisUrlError(f"REDIS_URL 格式不对：{exc}") from None
