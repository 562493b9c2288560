"""Energy (能耗): meters, readings, budgets by headcount with alerts and cut-off, indicators."""

from __future__ import annotations

from backend.core.modules import Module
from backend.energy.permissions import EnergyPermission as P

MODULE = Module(
    name="energy",
    title="能耗",
    models="backend.energy.models",
    permissions=P,
    settings="backend.energy.config:EnergySettings",
)
