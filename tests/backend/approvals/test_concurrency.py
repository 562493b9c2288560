"""Two approvers of the same step deciding at the same moment, on PostgreSQL: the approval's row
lock lets exactly one decision through, and the kind's module is told once."""

from __future__ import annotations

import asyncio

from backend.approvals import service
from backend.approvals.models import ApprovalOutcome, ApprovalStep, ApproverRole
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now


async def test_two_approvers_approving_the_same_step_at_once_decide_it_once(requires_postgres, approvals_world):
    w = approvals_world
    await w.approver("D0002", ApproverRole.UNIT_LEADER, "FGW")
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "SJGSW")
    for _ in range(5):
        w.decisions.clear()
        view = await w.start(w.subject("D0001", "FGW-BGS"))
        outcomes = await asyncio.gather(
            *(service.decide(view.id, 1, w.people[no], True, "", now()) for no in ("D0002", "D0005")),
            return_exceptions=True,
        )
        refused = [o for o in outcomes if isinstance(o, AppError)]
        assert len(refused) == 1, outcomes
        assert refused[0].code == "approvals.already_decided"
        assert [d[1] for d in w.decisions] == [ApprovalOutcome.APPROVED]
        (step,) = await ApprovalStep.filter(approval_id=view.id)
        assert step.decided_by_id in (w.people["D0002"], w.people["D0005"])
        assert await AuditEntry.filter(action="approvals.approve_step", object_id=str(view.id)).count() == 1
