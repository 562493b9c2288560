"""Withdrawing (撤回) a request still in approval, the same for a 公物仓 request and a disposal:
the approval's lock is taken first (the order `backend.approvals` decides in, so a withdrawal and
a decision cannot deadlock), only the requester may withdraw, withdrawing again changes nothing,
and the approval is cancelled with it so no approver can decide it afterwards."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from backend.approvals import service as approvals
from backend.assets.errors import AssetsError
from backend.assets.models import Disposal, DisposalState, RequestState, WarehouseRequest

Withdrawable = TypeVar("Withdrawable", WarehouseRequest, Disposal)


async def withdraw(
    conn: Any,
    model: type[Withdrawable],
    states: type[RequestState] | type[DisposalState],
    kind: str,
    subject_id: int,
    person_id: int,
    at: datetime,
    not_found: AssetsError,
    wrong_state: AssetsError,
) -> tuple[Withdrawable, bool]:
    """Withdraw `subject_id` of `model` (approval kind `kind`) for its requester, in the caller's
    transaction. Returns (row, withdrawn now): False when it was already withdrawn, so that the
    caller gives back what the request held only once."""
    await approvals.lock_of_subject(conn, kind, subject_id)
    row = await model.filter(id=subject_id).using_db(conn).select_for_update().first()
    if row is None or row.requester_id != person_id:
        raise not_found.error()
    if row.state == states.CANCELLED:
        return row, False
    if row.state != states.PENDING:
        raise wrong_state.error(state=row.state.label, action="撤回")
    await approvals.cancel(conn, kind, row.id, at)
    row.state, row.decided_at = states.CANCELLED, at
    await row.save(using_db=conn, update_fields=["state", "decided_at"])
    return row, True
