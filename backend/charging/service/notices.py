"""What charging tells cadres through WeChat subscribe messages (sent by backend.notices), with
one template, charging.session (WECHAT_CHARGING_TEMPLATE_ID): a session ended, with its energy
and amount (充电结束), or was stopped because the cash ran low (余额不足停止). The message is read
from the session when it is sent, so a retry tells how the session stands then."""

from __future__ import annotations

from backend.charging.models import Bill, Pile, Session
from backend.core.money import format_yuan
from backend.core.timeutil import BUSINESS_TZ
from backend.notices import service as notices

SESSION_NOTICE = "charging.session"


async def render_session(session_id: int) -> notices.Message | None:
    session = await Session.get_or_none(id=session_id)
    if session is None:
        return None
    pile = await Pile.get(id=session.pile_id)
    bill = await Bill.get_or_none(session_id=session_id)
    if bill is not None:
        state = "充电结束"
        kwh = f"{bill.energy_wh / 1000:.2f}"
        note = f"已充 {kwh} 度"
        if bill.shortfall_fen and bill.shortfall_paid_at is None:
            note = f"{kwh} 度，欠费 {format_yuan(bill.shortfall_fen)} 元"
        amount = format_yuan(bill.amount_fen)
        moment = session.stopped_at or bill.billed_at
    elif session.stop_requested_at is not None:
        state = "余额不足"
        note = "一卡通余额将尽，已停止充电"
        amount = format_yuan(session.running_fen)
        moment = session.stop_requested_at
    else:
        return None
    # Keys fixed by the template (see the README on WECHAT_CHARGING_TEMPLATE_ID), cut to WeChat's
    # limits (thing ≤ 20 characters, phrase ≤ 5).
    data = {
        "character_string1": str(session.id),
        "thing2": f"{pile.name} {session.connector_id} 号枪"[:20],
        "phrase3": state[:5],
        "amount4": f"{amount}元",
        "time5": moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "thing6": note[:20],
    }
    return notices.Message(data, f"pages/charging/session?id={session.id}")
