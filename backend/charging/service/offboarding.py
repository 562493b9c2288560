"""The charging module's part of a person leaving (离职), declared in charging/module.py as
`person_leaving` and run by accounts' leave form inside the transaction that marks the person as
left.

Two things stop a leaving here, because they would be written off unseen: a session still
charging (its bill would come after the wallet is refunded and closed, and find no cash), and
unpaid charging arrears. The arrears cannot be collected by the leave itself: the wallet's part
(the cash refund) runs before charging's in the module order, so by then the cash is gone. Staff
settle them first (the cadre pays them in the mini-program, or 结束并结算 ends the session).
What leaving does here: the person's unused start tokens expire, so none can start a session."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from backend.accounts.service.leaving import Departure, LeavingPreview
from backend.charging.errors import ChargingError
from backend.charging.models import Session, SessionState, Tag, TagKind
from backend.charging.service import billing
from backend.core.audit import Actor
from backend.core.money import yuan_text
from backend.core.timeutil import now

TITLE = "充电桩"


def _active(person_id: int):
    """Sessions the person is charging now: billed to them, or started by them for a car."""
    return Session.filter(Q(person_id=person_id) | Q(start_request__person_id=person_id), state=SessionState.ACTIVE)


def _live_tokens(person_id: int):
    return Tag.filter(person_id=person_id, kind=TagKind.TOKEN, blocked=False)


async def _blocker(person_id: int, conn: Any = None) -> tuple[ChargingError, dict] | None:
    session = await _active(person_id).using_db(conn).order_by("id").first()
    if session is not None:
        return ChargingError.LEAVE_SESSION_ACTIVE, {"session_id": session.id}
    owed = await billing.arrears_of(person_id)
    if owed > 0:
        return ChargingError.LEAVE_ARREARS_UNPAID, {"amount": f"{yuan_text(owed)} 元"}
    return None


async def preview(person_id: int, permitted: bool) -> LeavingPreview:
    """What leaving does to the person's charging, and why it cannot be done yet (a session
    charging, arrears unpaid). Nothing here needs a permission: expiring tokens moves no money."""
    lines = []
    tokens = await _live_tokens(person_id).count()
    if tokens:
        lines.append(f"作废未使用的小程序充电启动凭证 {tokens} 个")
    blocker = await _blocker(person_id)
    message = ""
    if blocker is not None:
        error, values = blocker
        message = error.message.format(**values)
    return LeavingPreview(TITLE, lines, blocker=message)


async def leave(conn: Any, actor: Actor, departure: Departure) -> list[str]:
    """Refuse while a session is charging or arrears are unpaid (the whole leaving then rolls
    back, the wallet's refund with it); otherwise expire the person's start tokens, on `conn`."""
    person_id = departure.person_id
    blocker = await _blocker(person_id, conn)
    if blocker is not None:
        error, values = blocker
        raise error.error(**values)
    tokens = _live_tokens(person_id).using_db(conn)
    expired = await tokens.update(blocked=True, blocked_reason="人员离职", expires_at=now())
    return [f"作废充电启动凭证 {expired} 个"] if expired else []
