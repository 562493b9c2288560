"""Settings of energy, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from backend.core.config import bounded_setting


def _grid_factor(env: Mapping[str, str]) -> int:
    """ENERGY_GRID_CO2_KG_PER_KWH as milligrams of CO₂ per kWh."""
    raw = env.get("ENERGY_GRID_CO2_KG_PER_KWH", "").strip() or "0.5703"
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"ENERGY_GRID_CO2_KG_PER_KWH must be a decimal number, got {raw!r}") from None
    if not Decimal("0") <= value <= Decimal("2"):
        raise ValueError(f"ENERGY_GRID_CO2_KG_PER_KWH must be between 0 and 2, got {raw!r}")
    return int((value * 1_000_000).to_integral_value())


@dataclass(frozen=True)
class EnergySettings:
    # ENERGY_POLL_MINUTES: the collection interval; readings belong to slots of this length from
    # midnight, so it must divide 60.
    poll_minutes: int = 15
    # ENERGY_POLL_TIMEOUT_SECONDS: how long one meter may take to answer before it is marked silent.
    poll_timeout_seconds: int = 3
    # ENERGY_POLL_CONCURRENCY: meters read at once by one collector.
    poll_concurrency: int = 32
    # ENERGY_SILENT_ALERT_POLLS: consecutive unanswered polls before an alert is raised.
    silent_alert_polls: int = 4
    # ENERGY_SPIKE_FACTOR: an interval's use above this many times the meter's usual (median)
    # interval use is held for review (a meter's own spike limit overrides).
    spike_factor: int = 20
    # ENERGY_CUT_GRACE_HOURS: hours between a budget's exhaustion and the cut-off.
    cut_grace_hours: int = 24
    # ENERGY_SWITCH_MAX_ATTEMPTS: sends of one cut or restore before it is marked failed.
    switch_max_attempts: int = 5
    # ENERGY_RAW_RETENTION_DAYS: raw readings older than this are deleted (rollups stay).
    raw_retention_days: int = 400
    # ENERGY_GRID_CO2_KG_PER_KWH: the grid's emission factor (kg CO₂ per kWh), kept in mg.
    grid_co2_mg_per_kwh: int = 570_300
    # WECHAT_ENERGY_TEMPLATE_ID: WeChat's id of the energy notice to a unit's energy contacts
    # (budget 80 %, used up, cut, restored; "" = not sent).
    notice_template_id: str = ""
    # ---- collect ----
    # ENERGY_COLLECT_IN_WORKER: 1 = the job worker collects (the embedded default's collector);
    # 0 where `houqin collect` runs as its own process instead.
    collect_in_worker: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> EnergySettings:
        poll_minutes = bounded_setting(env, "ENERGY_POLL_MINUTES", 15, 1, 60)
        if 60 % poll_minutes:
            raise ValueError(f"ENERGY_POLL_MINUTES must divide 60, got {poll_minutes}")
        return cls(
            poll_minutes=poll_minutes,
            poll_timeout_seconds=bounded_setting(env, "ENERGY_POLL_TIMEOUT_SECONDS", 3, 1, 60),
            poll_concurrency=bounded_setting(env, "ENERGY_POLL_CONCURRENCY", 32, 1, 512),
            silent_alert_polls=bounded_setting(env, "ENERGY_SILENT_ALERT_POLLS", 4, 1, 1000),
            spike_factor=bounded_setting(env, "ENERGY_SPIKE_FACTOR", 20, 2, 10_000),
            cut_grace_hours=bounded_setting(env, "ENERGY_CUT_GRACE_HOURS", 24, 0, 24 * 31),
            switch_max_attempts=bounded_setting(env, "ENERGY_SWITCH_MAX_ATTEMPTS", 5, 1, 100),
            raw_retention_days=bounded_setting(env, "ENERGY_RAW_RETENTION_DAYS", 400, 31, 3650),
            grid_co2_mg_per_kwh=_grid_factor(env),
            notice_template_id=env.get("WECHAT_ENERGY_TEMPLATE_ID", "").strip(),
            # ---- collect ----
            collect_in_worker=bounded_setting(env, "ENERGY_COLLECT_IN_WORKER", 1, 0, 1) == 1,
        )
