"""A month's grant submitted from the console several times at once, on PostgreSQL: the same form
(one idempotency key) keeps one run and every click gets its result; different forms keep a run
each; either way each person is granted once and the books balance."""

import asyncio

from backend.accounts.models import StaffCategory
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.wallet.models import SubsidyGrant, SubsidyGrantRun, Wallet
from backend.wallet.service import subsidy
from tests.helpers import console_admin, seed_units_and_roster
from tests.helpers.money import assert_books_clean


async def test_one_grant_form_clicked_eight_times_at_once_runs_once(client, runtime, requires_postgres):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    csrf = await console_admin(client, "finance", ["wallet.manage_subsidy"])
    month = subsidy.month_of(now())
    form = {"csrf_token": csrf, "idempotency_key": "same-form-key-0001", "month": month}
    clicks = await asyncio.gather(*(client.post("/console/wallet/subsidy/grants", data=form) for _ in range(8)))
    [run] = await SubsidyGrantRun.all()
    assert {c.headers["location"].split("?")[0] for c in clicks} == {f"/console/wallet/subsidy/runs/{run.id}"}
    assert (run.granted, run.granted_fen) == (3, 90000)
    assert await AuditEntry.filter(action="wallet.grant_subsidy").count() == 1
    assert await SubsidyGrant.filter(month=month).count() == 3
    await assert_books_clean()


async def test_different_forms_at_once_keep_a_run_each_and_grant_each_person_once(client, runtime, requires_postgres):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    csrf = await console_admin(client, "finance", ["wallet.manage_subsidy"])
    month = subsidy.month_of(now())
    clicks = await asyncio.gather(
        *(
            client.post(
                "/console/wallet/subsidy/grants",
                data={"csrf_token": csrf, "idempotency_key": f"form-key-{i:04d}", "month": month},
            )
            for i in range(6)
        )
    )
    assert {c.status_code for c in clicks} == {302}
    runs = await SubsidyGrantRun.all()
    assert len(runs) == 6 and sum(r.granted for r in runs) == 3 and sum(r.granted_fen for r in runs) == 90000
    assert sum(await Wallet.all().values_list("subsidy_balance", flat=True)) == 90000
    await assert_books_clean()
