"""Permissions of energy: operators register meters and review readings, the energy office sets
quotas and budgets and decides on cut-offs, restores and extensions; reports are read more widely."""

from __future__ import annotations

from backend.core.permissions import Permission


class EnergyPermission(Permission):
    VIEW_ENERGY = "energy.view_energy", "查看电表、读数、预算与告警"
    MANAGE_METERS = "energy.manage_meters", "登记电表、录入与复核读数、记录换表清零"
    MANAGE_BUDGETS = "energy.manage_budgets", "设置定额、调整预算、管理能耗联络员"
    SWITCH_SUPPLY = "energy.switch_supply", "批准延期供应、恢复供应"
    VIEW_REPORT = "energy.view_report", "查看能耗指标与报表"
