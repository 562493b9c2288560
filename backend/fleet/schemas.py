"""Request bodies of the official-cars module's APIs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from backend.fleet.models import Datum
from backend.fleet.service.tracks import MAX_BATCH


class PositionIn(BaseModel):
    """A position from the vehicle-terminal platform; `at` with its time zone."""

    plate: str = Field(min_length=1, max_length=16)
    at: datetime
    lat: float
    lng: float
    speed: float | None = None
    datum: Datum = Datum.WGS84


class PositionBatchIn(BaseModel):
    positions: list[PositionIn] = Field(min_length=1, max_length=MAX_BATCH)
