"""Dynamic pay codes (付款码): 18 digits the mini-program shows, rotating every 30 seconds.

A cadre's session gets one pay-code key (an id and a secret) that lives and dies with it. The code is "66" + the key id
(10 digits) + the TOTP of the secret for the current 30-second step (6 digits), so the phone
can show a fresh code without the network and the server can tell whose it is. A code is
accepted for its own step and the one before (a diner who opened the page just before the
turn of the step is not refused), and only once. A code is checked against the server's clock,
never the phone's: after Redis lost its data (backend.core.replay), a code of a step that began
before the new epoch may have been spent already and is refused until the phone shows the next
step's code (30 seconds at most).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pyotp
import redis.asyncio as aioredis

from backend.core import replay
from backend.core.errors import ErrorCode

PREFIX = "66"
STEP_SECONDS = 30
DIGITS = 6
ACCEPTED_STEPS = 1  # the current step and this many before it
EXPIRED_LOOKBACK_STEPS = 20  # older codes than accepted are named "expired", not "invalid"
# ASCII digits only, and nothing after: a full-width or newline-padded copy of a code must not
# count as a different code.
_CODE = re.compile(rf"{PREFIX}([0-9]{{10}})([0-9]{{{DIGITS}}})\Z", re.ASCII)


class PayCodeError(ErrorCode):
    INVALID = ("canteen.pay_code_invalid", 402, "付款码无效，请刷新后重试")
    EXPIRED = ("canteen.pay_code_expired", 402, "付款码已过期，请刷新后重试")
    USED = ("canteen.pay_code_used", 402, "付款码已使用，请刷新后重试")
    BEFORE_EPOCH = ("canteen.pay_code_before_epoch", 402, "付款码已失效，请等付款码自动更新后重新出示")


@dataclass(frozen=True)
class PayCodeKey:
    key_id: int
    secret: str

    def as_dict(self) -> dict:
        return {
            "key_id": f"{self.key_id:010d}",
            "secret": self.secret,
            "prefix": PREFIX,
            "step_seconds": STEP_SECONDS,
            "digits": DIGITS,
        }


def code_for(key: PayCodeKey, at: float | None = None) -> str:
    totp = pyotp.TOTP(key.secret, digits=DIGITS, interval=STEP_SECONDS)
    return f"{PREFIX}{key.key_id:010d}{totp.at(time.time() if at is None else at)}"


async def key_for_session(redis: aioredis.Redis, session_key: str, person_id: int, ttl: int) -> PayCodeKey:
    """The pay-code key of a cadre session: one per session, valid only while the session is
    (a lost phone's codes die with its logout or expiry)."""
    existing = await redis.get(f"paycode:session:{session_key}")
    if existing is not None:
        stored = await redis.get(f"paycode:key:{int(existing)}")
        if stored is not None:
            return PayCodeKey(int(existing), json.loads(stored)["secret"])
    key_id = await redis.incr("paycode:next_key_id") % 10**10
    key = PayCodeKey(key_id, pyotp.random_base32())
    payload = json.dumps({"person_id": person_id, "secret": key.secret, "session": session_key})
    await redis.set(f"paycode:key:{key_id}", payload, ex=ttl)
    await redis.set(f"paycode:session:{session_key}", key_id, ex=ttl)
    return key


async def revoke_session_key(redis: aioredis.Redis, session_key: str) -> None:
    key_id = await redis.getdel(f"paycode:session:{session_key}")
    if key_id is not None:
        await redis.delete(f"paycode:key:{int(key_id)}")


async def redeem(redis: aioredis.Redis, code: str, spender: str, now: float | None = None) -> int:
    """The person whose code this is. The code is spent by `spender` (one payment: terminal and
    transaction number) and cannot be used again by anyone else; the same payment presenting it
    again, as a terminal's retry does, gets the person again."""
    match = _CODE.match(code) if isinstance(code, str) else None
    if not match:
        raise PayCodeError.INVALID.error()
    key_id, digits = int(match.group(1)), match.group(2)
    raw = await redis.get(f"paycode:key:{key_id}")
    if raw is None:
        raise PayCodeError.EXPIRED.error()
    stored = json.loads(raw)
    if stored.get("session") and not await redis.exists(stored["session"]):
        raise PayCodeError.EXPIRED.error()
    totp = pyotp.TOTP(stored["secret"], digits=DIGITS, interval=STEP_SECONDS)
    now = time.time() if now is None else now
    for back in range(EXPIRED_LOOKBACK_STEPS + 1):
        moment = now - back * STEP_SECONDS
        if pyotp.utils.strings_equal(totp.at(moment), digits):
            if back > ACCEPTED_STEPS:
                raise PayCodeError.EXPIRED.error()
            # Spent per key and step, whatever spelling of the code was presented. A step's code
            # is accepted from its start, by the server's clock: it leads nothing.
            step = int(moment // STEP_SECONDS)
            try:
                mark = await replay.first_use(
                    redis,
                    f"paycode:used:{key_id}:{step}",
                    spender,
                    ttl_ms=STEP_SECONDS * (ACCEPTED_STEPS + 2) * 1000,
                    issued_ms=step * STEP_SECONDS * 1000,
                    lead_ms=0,
                    now_ms=int(now * 1000),
                )
            except replay.BeforeEpoch:
                raise PayCodeError.BEFORE_EPOCH.error() from None
            if not mark.fresh and mark.held != spender.encode():
                raise PayCodeError.USED.error()
            return int(stored["person_id"])
    raise PayCodeError.INVALID.error()
