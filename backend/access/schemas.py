"""Request shapes of the gates-and-visitors API and the shapes of its answers (published in
/openapi.json). Helpers append their own blocks, each under a `# ---- <name> ----` comment."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

# ---- p ----

EVENT_NO = r"^[A-Za-z0-9_-]{8,64}$"


class ScanIn(BaseModel):
    """A pass scanned at the gate; the terminal's own event number makes a retry safe."""

    event_no: str = Field(pattern=EVENT_NO)
    token: str = Field(min_length=1, max_length=1000)


class CardIn(BaseModel):
    """A staff card read at the gate (its UID as the reader gives it)."""

    event_no: str = Field(pattern=EVENT_NO)
    card_uid: str = Field(min_length=1, max_length=64)


class JournalEventIn(BaseModel):
    """A decision the terminal took offline, as its journal keeps it."""

    event_no: str = Field(pattern=EVENT_NO)
    at: AwareDatetime
    kind: Literal["pass", "card"]
    token: str | None = Field(default=None, max_length=1000)
    card_uid: str | None = Field(default=None, max_length=64)
    allowed: bool
    reason: str = Field(default="", max_length=64)


class JournalIn(BaseModel):
    events: list[JournalEventIn] = Field(min_length=1, max_length=200)


class GreetingOut(BaseModel):
    name: str
    host: str
    people: int


class DecisionOut(BaseModel):
    allowed: bool
    reason: str
    message: str
    greeting: GreetingOut | None


class GateOut(BaseModel):
    code: str
    name: str
    direction: str
    building: str
    anti_passback: bool


class GateSyncOut(BaseModel):
    """What a gate terminal needs to decide offline; `revoked`/`used` and `cards` are left out
    while the versions the terminal sent are still current."""

    gate: GateOut
    public_key: str
    key_id: str
    qr_step_seconds: int
    qr_tolerance_steps: int
    version: str
    revoked: list[int] | None = None
    used: dict[str, int] | None = None
    cards_version: str
    cards: list[str] | None = None


class JournalResultOut(BaseModel):
    event_no: str
    result: Literal["recorded", "duplicate", "invalid"]


class JournalOut(BaseModel):
    results: list[JournalResultOut]
