"""Device request signing: HMAC-SHA256 over method, path, query, timestamp, nonce and body hash.

The string signed is, joined by newlines:
    METHOD, path, query string (may be empty), unix timestamp (seconds), nonce, hex SHA-256 of body
sent as the headers X-Device-Id, X-Timestamp, X-Nonce and X-Signature (lowercase hex).
The kiosk agent implements the same scheme on its side (it reaches the backend only over HTTP).

A timestamp may be `skew` seconds behind or ahead of the server's clock, and each nonce is spent
once. After Redis lost its data (backend.core.replay) a request must also be stamped at least
`skew` seconds after the new epoch began, since a device whose clock ran that far ahead could have
had a request with an earlier stamp accepted before the loss. The refusal tells the device the
first stamp it may use (`not_before`) and, during the epoch's first second, how long to wait
before that stamp is within the skew (`retry_after_ms`): it re-signs with that stamp and retries.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

from backend.core import replay
from backend.core.errors import DeviceError

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class SignatureHeaders:
    device_code: str
    timestamp: int
    nonce: str
    signature: str


def parse_signature_headers(headers: Mapping[str, str]) -> SignatureHeaders:
    device_code = headers.get("x-device-id", "")
    raw_ts = headers.get("x-timestamp", "")
    nonce = headers.get("x-nonce", "")
    signature = headers.get("x-signature", "").lower()
    if not (
        0 < len(device_code) <= 32 and _TIMESTAMP.match(raw_ts) and _NONCE.match(nonce) and _HEX64.match(signature)
    ):
        raise DeviceError.SIGNATURE_MISSING.error()
    return SignatureHeaders(device_code, int(raw_ts), nonce, signature)


def canonical_string(method: str, path: str, query: str, timestamp: int, nonce: str, body: bytes) -> bytes:
    body_hash = hashlib.sha256(body or b"").hexdigest()
    return "\n".join([method.upper(), path, query, str(timestamp), nonce, body_hash]).encode()


def compute_signature(secret: bytes, canonical: bytes) -> str:
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


def check_timestamp(timestamp: int, skew: int, now: float | None = None) -> None:
    if abs((time.time() if now is None else now) - timestamp) > skew:
        raise DeviceError.TIMESTAMP_SKEW.error()


def check_signature(secret: bytes, canonical: bytes, signature: str) -> None:
    if not hmac.compare_digest(compute_signature(secret, canonical), signature):
        raise DeviceError.BAD_SIGNATURE.error()


async def consume_nonce(redis: aioredis.Redis, device_code: str, nonce: str, *, timestamp: int, skew: int) -> None:
    """Spend the nonce of a request stamped `timestamp`, remembered for longer than the stamp is
    accepted (a stamp up to `skew` ahead is accepted until `skew` after it), so a replay is
    always caught; refuse a stamp the Redis epoch cannot vouch for."""
    try:
        mark = await replay.first_use(
            redis,
            f"nonce:{device_code}:{nonce}",
            "1",
            ttl_ms=(2 * skew + 60) * 1000,
            issued_ms=timestamp * 1000,
            lead_ms=skew * 1000,
        )
    except replay.BeforeEpoch as early:
        # A stamp is accepted while it is at most `skew` ahead: `not_before` is, from the epoch's
        # next whole second on.
        first_second_ms = math.ceil(early.started_ms / 1000) * 1000
        details = {
            "not_before": math.ceil(early.not_before_ms / 1000),
            "retry_after_ms": max(0, first_second_ms - early.now_ms),
        }
        raise DeviceError.BEFORE_EPOCH.error(details) from None
    if not mark.fresh:
        raise DeviceError.NONCE_REUSED.error()
