"""The assets kinds' approval in tests: with no flow set up, the assets kinds take 单位审批 then
主管部门审批 (the kinds' `default_steps`), so a test that wants a request approved has the unit's
leader decide step 1 and the bureau (陈静 D0005 by default, 主管部门 over SJGSW) step 2; and a
loan of the fixture's table approved that way, which several tests start from."""

from __future__ import annotations

from datetime import timedelta

from backend.approvals import service as approvals
from backend.approvals.models import Approver, ApproverRole
from backend.approvals.service import setup
from backend.assets.models import RequestKind
from backend.assets.service import warehouse
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import now, today


async def bureau_decides(world, approval_id: int, employee_no: str = "D0005", approve: bool = True):
    """`employee_no` made the authority over SJGSW (if not yet) and deciding step 2."""
    person_id = world.people[employee_no]
    if not await Approver.exists(person_id=person_id, role=ApproverRole.AUTHORITY, is_active=True):
        await setup.assign_approver(CLI_ACTOR, employee_no, ApproverRole.AUTHORITY, "SJGSW")
    return await approvals.decide(approval_id, 2, person_id, approve, "" if approve else "不同意", now())


async def leader_decides(world, subject: dict, approve: bool = True, approver: str = "D0001", unit: str = "FGW"):
    """`approver` made the leader of `unit` and deciding step 1 (单位审批) of `subject`'s approval
    (`subject` a request's or a disposal's view, with its approval)."""
    await world.approver(approver, ApproverRole.UNIT_LEADER, unit)
    comment = "" if approve else "不同意"
    return await approvals.decide(subject["approval"]["id"], 1, world.people[approver], approve, comment, now())


async def chain_decides(world, subject: dict, approve: bool = True, approver: str = "D0001", unit: str = "FGW"):
    """The whole default chain for `subject`: the unit's leader decides (`leader_decides`); an
    approval goes on to the bureau, a refusal ends it there."""
    await leader_decides(world, subject, approve, approver, unit)
    if approve:
        await bureau_decides(world, subject["approval"]["id"])


async def approved_loan(
    world,
    ref: str,
    due_in_days: int,
    person: str = "D0002",
    unit: str = "FGW-GHC",
    approver: str = "D0001",
    approver_unit: str = "FGW",
    place: str | None = None,
) -> dict:
    """The fixture's table asked for on loan by `person` for `unit` (to room `place`, if given),
    due back in `due_in_days`, and approved through the chain: the table is then 在用 with the unit."""
    form = warehouse.RequestForm(
        entry_id=world.table_entry.id,
        unit_id=world.units[unit],
        kind=RequestKind.LOAN,
        purpose="年会借用",
        place_id=world.places[place] if place else None,
        return_due=today() + timedelta(days=due_in_days),
    )
    loan, _ = await warehouse.request_item(world.people[person], ref, form, now())
    await chain_decides(world, loan, approver=approver, unit=approver_unit)
    return loan
