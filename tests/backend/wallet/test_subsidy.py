"""Monthly subsidy: granted once per person and month by rule (nearest unit up the tree), and
cleared at month end where the rule says so, however often the jobs run."""

import asyncio

import pytest
from datetime import datetime

from backend.accounts.models import Person, StaffCategory
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet import subsidy
from backend.wallet.models import SubsidyGrant, Wallet
from tests.money import assert_books_clean
from tests.helpers import admin_token, bearer, seed_units_and_roster

NOV = datetime(2026, 11, 1, 0, 5, tzinfo=BUSINESS_TZ)
DEC = datetime(2026, 12, 1, 0, 5, tzinfo=BUSINESS_TZ)


async def subsidy_of(employee_no: str) -> int:
    wallet = await Wallet.get_or_none(person_id=(await Person.get(employee_no=employee_no)).id)
    return wallet.subsidy_balance if wallet else 0


async def test_rules_apply_down_the_unit_tree_unless_a_unit_has_its_own(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, True)
    await subsidy.grant_month("2026-11", NOV)
    # D0001 FGW-BGS 在编 (inherits), D0002 FGW-GHC 在编 (own rule), D0003 聘用 (no rule), D0005 SJGSW 在编
    assert [await subsidy_of(n) for n in ("D0001", "D0002", "D0003", "D0005")] == [30000, 50000, 0, 30000]
    await assert_books_clean(NOV.date())


async def test_granting_a_month_twice_or_concurrently_grants_once(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await asyncio.gather(subsidy.grant_month("2026-11", NOV), subsidy.grant_month("2026-11", NOV))
    again = await subsidy.grant_month("2026-11", NOV)
    assert again["granted"] == 0
    assert await subsidy_of("D0001") == 30000
    assert await SubsidyGrant.filter(month="2026-11").count() == 3
    await assert_books_clean(NOV.date())


async def test_month_end_clears_what_is_left_then_grants_the_new_month(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, False)
    await subsidy.run_monthly(NOV)
    outcome = await subsidy.run_monthly(DEC)
    assert outcome["cleared"] == 2  # D0001 and D0005; FGW-GHC keeps what is left
    assert await subsidy_of("D0001") == 30000 and await subsidy_of("D0002") == 100000
    repeat = await subsidy.run_monthly(DEC)
    assert repeat["cleared"] == 0 and repeat["granted"] == 0
    assert await subsidy_of("D0001") == 30000
    await assert_books_clean(DEC.date())


async def test_subsidy_rules_need_their_permission(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "clerk", ["wallet.view_wallet"])
    response = await client.post("/admin/v1/wallet/subsidy-rules", headers=bearer(token),
                                 json={"unit_code": "SJGSW", "staff_category": "established", "amount_fen": 1})
    assert response.status_code == 403
    manager = await admin_token(client, "finance", ["wallet.manage_subsidy"])
    made = await client.post("/admin/v1/wallet/subsidy-rules", headers=bearer(manager),
                             json={"unit_code": "SJGSW", "staff_category": "established", "amount_fen": 20000})
    assert made.status_code == 200 and made.json()["amount_fen"] == 20000
    run = await client.post("/admin/v1/wallet/subsidy-grants", headers=bearer(manager), json={"month": "2026-13"})
    assert run.status_code == 422


async def test_a_manual_grant_before_the_job_is_not_swept_away_by_it(app, runtime):
    """The job fails on the 1st, an admin grants December by hand, then the job is retried."""
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.grant_month("2026-11", NOV)
    await subsidy.grant_month("2026-12", DEC)  # by hand: clears November first, then grants
    await subsidy.run_monthly(DEC)  # the retried job
    assert await subsidy_of("D0001") == 30000
    await assert_books_clean(DEC.date())


async def test_future_months_cannot_be_granted(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    with pytest.raises(Exception) as refused:
        await subsidy.grant_month("2027-01", DEC)
    assert refused.value.code == "wallet.subsidy_month_in_future"
