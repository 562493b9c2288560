"""Device request signing: HMAC-SHA256 over method, path, query, timestamp, nonce and body hash.

The string signed is, joined by newlines:
    METHOD, path, query string (may be empty), unix timestamp (seconds), nonce, hex SHA-256 of body
sent as the headers X-Device-Id, X-Timestamp, X-Nonce and X-Signature (lowercase hex).
The kiosk agent implements the same scheme on its side (it reaches the backend only over HTTP).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

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


async def consume_nonce(redis: aioredis.Redis, device_code: str, nonce: str, ttl: int) -> None:
    """Remember the nonce for longer than the timestamp window, so a replay is always caught."""
    if not await redis.set(f"nonce:{device_code}:{nonce}", b"1", nx=True, ex=ttl):
        raise DeviceError.NONCE_REUSED.error()
