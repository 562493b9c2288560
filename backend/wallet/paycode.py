"""Dynamic pay codes (付款码): 18 digits the mini-program shows, rotating every 30 seconds.

A cadre's session gets a pay-code key: an id and a secret. The code is "66" + the key id
(10 digits) + the TOTP of the secret for the current 30-second step (6 digits), so the phone
can show a fresh code without the network and the server can tell whose it is. A code is
accepted for its own step and the one before (a diner who opened the page just before the
turn of the step is not refused), and only once.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pyotp
import redis.asyncio as aioredis

from backend.core.errors import ErrorCode

PREFIX = "66"
STEP_SECONDS = 30
DIGITS = 6
ACCEPTED_STEPS = 1  # the current step and this many before it
EXPIRED_LOOKBACK_STEPS = 20  # older codes than accepted are named "expired", not "invalid"
_CODE = re.compile(rf"^{PREFIX}(\d{{10}})(\d{{{DIGITS}}})$")


class PayCodeError(ErrorCode):
    INVALID = ("canteen.pay_code_invalid", 402, "付款码无效，请刷新后重试")
    EXPIRED = ("canteen.pay_code_expired", 402, "付款码已过期，请刷新后重试")
    USED = ("canteen.pay_code_used", 402, "付款码已使用，请刷新后重试")


@dataclass(frozen=True)
class PayCodeKey:
    key_id: int
    secret: str

    def as_dict(self) -> dict:
        return {"key_id": f"{self.key_id:010d}", "secret": self.secret, "prefix": PREFIX,
                "step_seconds": STEP_SECONDS, "digits": DIGITS}


def code_for(key: PayCodeKey, at: float | None = None) -> str:
    totp = pyotp.TOTP(key.secret, digits=DIGITS, interval=STEP_SECONDS)
    return f"{PREFIX}{key.key_id:010d}{totp.at(time.time() if at is None else at)}"


async def issue_key(redis: aioredis.Redis, person_id: int, ttl: int) -> PayCodeKey:
    """A new key for a cadre session; it lives as long as the session."""
    key_id = await redis.incr("paycode:next_key_id") % 10**10
    key = PayCodeKey(key_id, pyotp.random_base32())
    await redis.set(f"paycode:key:{key_id}", json.dumps({"person_id": person_id, "secret": key.secret}), ex=ttl)
    return key


async def revoke_key(redis: aioredis.Redis, key_id: int) -> None:
    await redis.delete(f"paycode:key:{key_id}")


async def redeem(redis: aioredis.Redis, code: str, now: float | None = None) -> int:
    """The person whose code this is; the code cannot be used again."""
    match = _CODE.match(code or "")
    if not match:
        raise PayCodeError.INVALID.error()
    key_id, digits = int(match.group(1)), match.group(2)
    raw = await redis.get(f"paycode:key:{key_id}")
    if raw is None:
        raise PayCodeError.EXPIRED.error()
    stored = json.loads(raw)
    totp = pyotp.TOTP(stored["secret"], digits=DIGITS, interval=STEP_SECONDS)
    now = time.time() if now is None else now
    for back in range(EXPIRED_LOOKBACK_STEPS + 1):
        if pyotp.utils.strings_equal(totp.at(now - back * STEP_SECONDS), digits):
            if back > ACCEPTED_STEPS:
                raise PayCodeError.EXPIRED.error()
            if not await redis.set(f"paycode:used:{code}", b"1", nx=True, ex=STEP_SECONDS * (ACCEPTED_STEPS + 2)):
                raise PayCodeError.USED.error()
            return int(stored["person_id"])
    raise PayCodeError.INVALID.error()
