"""STAND-IN (helper D): monthly quotas per person and per m²."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from backend.energy.models import MeterKind, Quota


def _milli(text: str) -> int:
    return int(Decimal(text.strip() or "0") * 1000)


async def set_quota(actor, kind: MeterKind, effective_from: date, per_person_text: str, per_m2_text: str) -> dict:
    """STAND-IN: stores the quota (no validation, no audit)."""
    quota, _ = await Quota.update_or_create(
        kind=kind,
        effective_from=effective_from.replace(day=1),
        defaults={"per_person_milli": _milli(per_person_text), "per_m2_milli": _milli(per_m2_text)},
    )
    return {"id": quota.id, "kind": kind.value}


async def quota_for(kind: MeterKind, month: date) -> Quota | None:
    return await Quota.filter(kind=kind, effective_from__lte=month).order_by("-effective_from").first()
