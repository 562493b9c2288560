"""The loan reminders run daily as a scheduled job, and a second run the same day tells nobody
twice."""

from taskiq.schedule_sources import LabelScheduleSource

from backend.assets.jobs import remind_loans
from backend.core.jobs import broker
from backend.notices.models import Notice
from tests.helpers.assets_approvals import approved_loan


async def test_the_loan_reminders_are_scheduled_daily(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    schedules = {s.task_name: s for s in await source.get_schedules()}
    assert schedules["assets.remind_loans"].cron == "0 9 * * *"


async def test_the_job_reminds_a_loan_due_in_two_days_once(assets_world):
    loan = await approved_loan(
        assets_world,
        "job-loan-001",
        due_in_days=2,
        person="D0003",
        unit="CZJ-BGS",
        approver="D0004",
        approver_unit="CZJ",
    )
    assert await remind_loans() == 1
    assert await remind_loans() == 0
    told = await Notice.filter(template="assets.request", subject_id=loan["id"]).count()
    assert told == 2  # the approval, and one reminder
