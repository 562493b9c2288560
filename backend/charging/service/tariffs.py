# H4 TEMPORARY STAND-IN (H2 owns this file: the lead keeps H2's and drops this one)
"""Stand-in for H2's tariffs: in_force and a crude price (the band of the first sample)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.charging.models import Tariff
from backend.core.timeutil import BUSINESS_TZ


async def in_force(at: datetime) -> Tariff | None:
    return await Tariff.filter(effective_from__lte=at).order_by("-effective_from").first()


@dataclass(frozen=True)
class Priced:
    energy_wh: int
    bands: dict[str, int]
    energy_fen: int
    service_fen: int
    amount_fen: int


def price(tariff: Tariff, samples: list[tuple[datetime, int]]) -> Priced:
    energy = max(0, samples[-1][1] - samples[0][1])
    local = samples[0][0].astimezone(BUSINESS_TZ)
    season = next(s for s in tariff.seasons if local.month in s["months"])
    hhmm = f"{local:%H:%M}"
    band = next(p["band"] for p in season["periods"] if p["from"] <= hhmm < p["to"])
    energy_fen = (energy * season["prices"][band] + 500) // 1000
    service_fen = (energy * tariff.service_fee_fen_per_kwh + 500) // 1000
    return Priced(energy, {band: energy}, energy_fen, service_fen, energy_fen + service_fen)


async def create_version(actor, name, effective_from, service_fee_fen_per_kwh, seasons) -> dict:
    tariff = await Tariff.create(
        name=name, effective_from=effective_from, service_fee_fen_per_kwh=service_fee_fen_per_kwh, seasons=seasons
    )
    return {"id": tariff.id, "name": tariff.name}
