"""The loan reminders run daily as a scheduled job, and a second run the same day tells nobody
twice."""

from datetime import timedelta

from taskiq.schedule_sources import LabelScheduleSource

from backend.approvals import service as approvals
from backend.approvals.models import ApproverRole
from backend.assets.jobs import remind_loans
from backend.assets.models import RequestKind
from backend.assets.service import warehouse
from backend.core.jobs import broker
from backend.core.timeutil import now, today
from backend.notices.models import Notice
from tests.helpers.assets_approvals import bureau_decides


async def test_the_loan_reminders_are_scheduled_daily(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    schedules = {s.task_name: s for s in await source.get_schedules()}
    assert schedules["assets.remind_loans"].cron == "0 9 * * *"


async def test_the_job_reminds_a_loan_due_in_two_days_once(assets_world):
    form = warehouse.RequestForm(
        entry_id=assets_world.table_entry.id,
        unit_id=assets_world.units["CZJ-BGS"],
        kind=RequestKind.LOAN,
        purpose="年会借用",
        return_due=today() + timedelta(days=2),
    )
    loan, _ = await warehouse.request_item(assets_world.people["D0003"], "job-loan-001", form, now())
    await assets_world.approver("D0004", ApproverRole.UNIT_LEADER, "CZJ")
    await approvals.decide(loan["approval"]["id"], 1, assets_world.people["D0004"], True, "", now())
    await bureau_decides(assets_world, loan["approval"]["id"])
    assert await remind_loans() == 1
    assert await remind_loans() == 0
    told = await Notice.filter(template="assets.request", subject_id=loan["id"]).count()
    assert told == 2  # the approval, and one reminder
