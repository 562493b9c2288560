# H3 TEMPORARY STAND-IN: H2 owns this file; the lead drops this version at merge. It only
# checks what the console's tariff form needs to run and records the version, audited.
"""Time-of-use tariffs (stand-in until H2's version with `validate` and `price` lands)."""

from __future__ import annotations

from datetime import datetime

from tortoise.transactions import in_transaction

from backend.charging.errors import ChargingError
from backend.charging.models import Tariff
from backend.core.audit import Actor, record
from backend.core.timeutil import now


def tariff_view(tariff: Tariff) -> dict:
    return {
        "id": tariff.id,
        "name": tariff.name,
        "effective_from": tariff.effective_from.isoformat(),
        "service_fee_fen_per_kwh": tariff.service_fee_fen_per_kwh,
        "seasons": tariff.seasons,
    }


def validate(seasons: list[dict], service_fee_fen_per_kwh: int) -> list[dict]:
    months = sorted(m for s in seasons for m in s.get("months", []))
    if months != list(range(1, 13)):
        raise ChargingError.TARIFF_INVALID.error(problem="每个月份应恰好属于一个季节")
    if not 0 <= service_fee_fen_per_kwh <= 1000:
        raise ChargingError.TARIFF_INVALID.error(problem="服务费应为 0 到 1000 分/千瓦时")
    return seasons


async def create_version(
    actor: Actor, name: str, effective_from: datetime, service_fee_fen_per_kwh: int, seasons: list[dict]
) -> dict:
    if effective_from < now():
        raise ChargingError.TARIFF_INVALID.error(problem="生效时间不能早于现在")
    seasons = validate(seasons, service_fee_fen_per_kwh)
    async with in_transaction() as conn:
        tariff = await Tariff.create(
            name=name,
            effective_from=effective_from,
            service_fee_fen_per_kwh=service_fee_fen_per_kwh,
            seasons=seasons,
            created_by_id=actor.admin_id,
            using_db=conn,
        )
        after = tariff_view(tariff)
        await record(conn, actor, "charging.create_tariff", "tariff", tariff.id, after=after)
    return after


async def in_force(at: datetime) -> Tariff | None:
    return await Tariff.filter(effective_from__lte=at).order_by("-effective_from", "-id").first()
