"""Every run of a month's subsidy is in the audit log: who ran it (an admin or the monthly job),
and what it came to."""

from backend.accounts.models import StaffCategory
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.wallet.service import subsidy
from tests.helpers import admin_token, bearer, seed_units_and_roster


async def test_a_month_granted_by_hand_is_audited_with_its_counts(client, runtime):
    # given a rule for the established staff of the whole bureau
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    manager = await admin_token(client, "subsidies", ["wallet.manage_subsidy"])
    month = subsidy.month_of(now())
    # when an admin grants this month, twice
    runs = [
        await client.post("/admin/v1/wallet/subsidy-grants", headers=bearer(manager), json={"month": month})
        for _ in range(2)
    ]
    assert [r.status_code for r in runs] == [200, 200]
    # then each run is audited against them and its request, the second granting nobody again
    first, second = await AuditEntry.filter(action="wallet.grant_subsidy").order_by("id")
    assert [first.request_id, second.request_id] == [r.headers["x-request-id"] for r in runs]
    assert (first.actor_name, first.object_type) == ("subsidies", "subsidy_grant_run")
    # last month is cleared (nothing was left) before this one is granted to the three established
    assert {k: first.after[k] for k in ("month", "granted", "granted_fen", "already", "closed", "cleared")} == {
        "month": month,
        "granted": 3,
        "granted_fen": 90000,
        "already": 0,
        "closed": 0,
        "cleared": 3,
    }
    assert (second.after["granted"], second.after["already"]) == (0, 3)


async def test_the_monthly_job_is_audited_as_the_job_not_an_admin(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.run_monthly(now())
    (entry,) = await AuditEntry.filter(action="wallet.grant_subsidy")
    assert entry.actor_id is None
    assert entry.after["granted"] == 3
