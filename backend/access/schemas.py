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


# ---- c ----


class StaffVehicleIn(BaseModel):
    """A cadre's own car to register: its plate as typed and a note for the gate's staff."""

    plate: str = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=200)


class StaffVehicleOut(BaseModel):
    id: int
    plate: str
    person_id: int
    person_name: str
    unit_id: int
    unit_name: str
    state: str = Field(description="pending / approved / refused / revoked")
    state_label: str
    from_minute: int = Field(description="允许入场开始（当日零点起的分钟数）")
    to_minute: int = Field(description="允许入场结束（分钟数，早于开始表示跨夜）")
    hours: str = Field(description="允许入场时段，如 07:00–20:00")
    note: str
    decided_at: str | None
    created_at: str | None
