"""The bureau's step of an assets approval: with no flow set up, the assets kinds take 单位审批
then 主管部门审批 (the kinds' `default_steps`), so a test that wants a request approved has the
bureau (陈静 D0005 by default, 主管部门 over SJGSW) decide step 2 after the unit's leader."""

from __future__ import annotations

from backend.approvals import service as approvals
from backend.approvals.models import Approver, ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import now


async def bureau_decides(world, approval_id: int, employee_no: str = "D0005", approve: bool = True):
    """`employee_no` made the authority over SJGSW (if not yet) and deciding step 2."""
    person_id = world.people[employee_no]
    if not await Approver.exists(person_id=person_id, role=ApproverRole.AUTHORITY, is_active=True):
        await setup.assign_approver(CLI_ACTOR, employee_no, ApproverRole.AUTHORITY, "SJGSW")
    return await approvals.decide(approval_id, 2, person_id, approve, "" if approve else "不同意", now())
