"""Demo data of the approvals module: approvers for the demo units, so that the requests of the
modules using approvals (their own demo data sets up their flows) have someone to decide them."""

from __future__ import annotations

from backend.approvals.models import ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext

# (employee number, role, unit code) over the demo roster of accounts.
APPROVERS = (
    ("D0001", ApproverRole.UNIT_LEADER, "FGW"),
    ("D0002", ApproverRole.LEADER_IN_CHARGE, "FGW"),
    ("D0003", ApproverRole.UNIT_LEADER, "CZJ"),
    ("D0005", ApproverRole.AUTHORITY, "SJGSW"),
)


async def seed(demo: DemoContext) -> list[str]:
    """The approvers, unless there are some already."""
    if await setup.list_approvers():
        return []
    for employee_no, role, unit_code in APPROVERS:
        await setup.assign_approver(CLI_ACTOR, employee_no, role, unit_code)
    return [f"审批人 {len(APPROVERS)} 名（单位负责人、分管领导、主管部门）。"]
