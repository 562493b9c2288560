"""Request shapes of the gates-and-visitors API and the shapes of its answers (published in
/openapi.json). Helpers append their own blocks, each under a `# ---- <name> ----` comment."""

from __future__ import annotations

from pydantic import BaseModel, Field

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
