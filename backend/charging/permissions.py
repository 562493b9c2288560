"""Permissions of EV charging: the carport's operators watch the piles and send them commands;
the tariff and the piles' passwords are set by those who manage the site; finance reads reports."""

from __future__ import annotations

from backend.core.permissions import Permission


class ChargingPermission(Permission):
    VIEW_CHARGING = "charging.view_charging", "查看充电桩、充电记录与故障"
    MANAGE_PILES = "charging.manage_piles", "管理充电站点、充电桩与密码、公务车充电卡"
    SEND_COMMANDS = "charging.send_commands", "向充电桩发送远程指令"
    MANAGE_TARIFF = "charging.manage_tariff", "设置分时电价与服务费"
    VIEW_REPORT = "charging.view_report", "查看充电报表"
