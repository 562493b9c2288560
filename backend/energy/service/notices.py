"""What energy tells a unit's energy contacts through WeChat subscribe messages (sent by
backend.notices), with one template, energy.alert (WECHAT_ENERGY_TEMPLATE_ID): the unit's budget
of a kind is 80 % used (用量预警), used up (预算用尽), its supply was cut (已断供) or restored
(已恢复). The message is read from the alert and its budget when it is sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.accounts.service import people
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.models import Alert, AlertKind, Budget
from backend.energy.service import contacts
from backend.energy.service.quotas import percent_of
from backend.notices import service as notices

ALERT_NOTICE = "energy.alert"

# The alerts a unit's contacts are told of, with the template's state word (phrase: ≤ 5 characters).
TOLD = {
    AlertKind.BUDGET_80: "用量预警",
    AlertKind.BUDGET_100: "预算用尽",
    AlertKind.CUT: "已断供",
    AlertKind.RESTORED: "已恢复",
}


async def tell_contacts(conn: Any, alert_id: int, kind: AlertKind, unit_id: int | None, at: datetime) -> int:
    """Queue the alert's notice to each of the unit's contacts on `conn`, in the transaction that
    raised it, if it is an alert they are told of; how many were queued."""
    if kind not in TOLD or unit_id is None:
        return 0
    person_ids = await contacts.people_to_tell(unit_id, conn)
    for person_id in person_ids:
        await notices.queue(conn, ALERT_NOTICE, person_id, alert_id, at)
    return len(person_ids)


async def render_alert(alert_id: int) -> notices.Message | None:
    alert = await Alert.get_or_none(id=alert_id)
    if alert is None or alert.kind not in TOLD:
        return None
    unit = (await people.units_by_id([alert.unit_id])).get(alert.unit_id) if alert.unit_id else None
    budget = await Budget.get_or_none(id=alert.budget_id) if alert.budget_id else None
    if budget is not None:
        percent = percent_of(budget.used_milli, budget.computed_milli + budget.adjustment_milli)
        note = f"本月{budget.kind.label}预算已用 {percent}%"
    else:
        note = alert.message
    # Keys fixed by the template (see the README on WECHAT_ENERGY_TEMPLATE_ID), cut to WeChat's
    # limits (thing ≤ 20 characters, phrase ≤ 5).
    data = {
        "character_string1": str(alert.id),
        "thing2": (unit.name if unit else "")[:20],
        "phrase3": TOLD[alert.kind],
        "time4": alert.created_at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "thing5": note[:20],
    }
    return notices.Message(data, f"pages/energy/index?unit={alert.unit_id or ''}")
