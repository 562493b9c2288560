"""Monthly subsidy: granted once per person and month by rule (nearest unit up the tree), and
cleared at month end where the rule says so, however often the jobs run."""

import asyncio
from datetime import datetime

import pytest

from backend.accounts.models import Person, StaffCategory, Unit
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet.models import SubsidyExpiry, SubsidyGrant, SubsidyRule, Wallet
from backend.wallet.service import subsidy
from tests.helpers import admin_token, bearer, seed_units_and_roster
from tests.helpers.money import assert_books_clean

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
    response = await client.post(
        "/admin/v1/wallet/subsidy-rules",
        headers=bearer(token),
        json={"unit_code": "SJGSW", "staff_category": "established", "amount_fen": 1},
    )
    assert response.status_code == 403
    manager = await admin_token(client, "finance", ["wallet.manage_subsidy"])
    made = await client.post(
        "/admin/v1/wallet/subsidy-rules",
        headers=bearer(manager),
        json={"unit_code": "SJGSW", "staff_category": "established", "amount_fen": 20000},
    )
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


async def test_a_rule_of_zero_is_refused(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    manager = await admin_token(client, "finance", ["wallet.manage_subsidy"])
    refused = await client.post(
        "/admin/v1/wallet/subsidy-rules",
        headers=bearer(manager),
        json={"unit_code": "SJGSW", "staff_category": "established", "amount_fen": 0},
    )
    assert refused.status_code == 422 and refused.json()["error"]["details"]["fields"][0]["field"] == "amount_fen"
    with pytest.raises(Exception) as by_cli:
        await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 0, True)
    assert by_cli.value.code == "wallet.subsidy_amount_invalid"
    assert await SubsidyRule.all().count() == 0


async def test_one_persons_failing_grant_does_not_stop_the_others(app, runtime):
    """A rule of 0 saved before amounts had to be positive covers D0002, who comes before D0005."""
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    unit = await Unit.get(code="FGW-GHC")
    await SubsidyRule.create(unit_id=unit.id, staff_category="established", amount_fen=0)
    outcome = await subsidy.grant_month("2026-11", NOV)
    assert outcome["granted"] == 2
    assert [f["employee_no"] for f in outcome["failed"]] == ["D0002"]
    assert "大于 0" in outcome["failed"][0]["message"]
    assert [await subsidy_of(n) for n in ("D0001", "D0002", "D0005")] == [30000, 0, 30000]
    await assert_books_clean(NOV.date())


async def test_a_switched_off_rule_grants_no_more_and_its_people_fall_to_the_rule_above(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    manager = await admin_token(client, "finance", ["wallet.manage_subsidy"])
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, False)
    off = await client.post(
        "/admin/v1/wallet/subsidy-rules/deactivate",
        headers=bearer(manager),
        json={"unit_code": "FGW-GHC", "staff_category": "established"},
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    await subsidy.grant_month("2026-11", NOV)
    assert await subsidy_of("D0002") == 30000  # the 局 rule, not the switched-off 50000
    listed = await client.get("/admin/v1/wallet/subsidy-rules", headers=bearer(manager))
    assert [(r["unit"], r["is_active"]) for r in listed.json()["items"]] == [("SJGSW", True), ("FGW-GHC", False)]
    missing = await client.post(
        "/admin/v1/wallet/subsidy-rules/deactivate",
        headers=bearer(manager),
        json={"unit_code": "FGW", "staff_category": "established"},
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "wallet.subsidy_rule_not_found"
    clerk = await admin_token(client, "clerk", ["wallet.view_wallet"])
    refused = await client.post(
        "/admin/v1/wallet/subsidy-rules/deactivate",
        headers=bearer(clerk),
        json={"unit_code": "SJGSW", "staff_category": "established"},
    )
    assert refused.status_code == 403


async def test_last_months_subsidy_clears_though_the_rule_was_switched_off_or_the_person_left(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, True)
    await subsidy.grant_month("2026-11", NOV)
    await subsidy.deactivate_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED)  # D0002 falls to 30000
    await subsidy.deactivate_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED)  # nobody is covered now
    await Person.filter(employee_no="D0005").update(is_active=False)
    outcome = await subsidy.run_monthly(DEC)
    assert outcome["cleared"] == 3 and outcome["granted"] == 0 and outcome["failed"] == []
    assert [await subsidy_of(n) for n in ("D0001", "D0002", "D0005")] == [0, 0, 0]
    assert (await subsidy.run_monthly(DEC))["cleared"] == 0
    await assert_books_clean(DEC.date())


async def test_subsidy_of_a_rule_that_does_not_expire_stays_when_the_person_is_no_longer_covered(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, False)
    await subsidy.grant_month("2026-11", NOV)
    await subsidy.deactivate_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED)
    assert (await subsidy.run_monthly(DEC))["cleared"] == 0
    assert await subsidy_of("D0002") == 50000


async def test_a_closed_wallet_gets_no_subsidy(app, runtime):
    from backend.wallet.models import RefundMethod
    from backend.wallet.service import cash_refund

    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    d0001 = await Person.get(employee_no="D0001")
    await cash_refund.close_wallet(CLI_ACTOR, d0001.id, cash_refund.Payout(RefundMethod.CASH, "", "离职"), "close-1")
    outcome = await subsidy.grant_month("2026-11", NOV)
    assert (outcome["granted"], outcome["closed"]) == (2, 1)
    assert await subsidy_of("D0001") == 0
    await assert_books_clean(NOV.date())


async def test_concurrent_monthly_runs_on_postgres_grant_and_clear_exactly_once(app, runtime, requires_postgres):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    await subsidy.set_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED, 50000, True)
    await asyncio.gather(*(subsidy.run_monthly(NOV) for _ in range(4)))
    await subsidy.deactivate_rule(CLI_ACTOR, "FGW-GHC", StaffCategory.ESTABLISHED)  # D0002 falls to 30000
    runs = await asyncio.gather(*(subsidy.run_monthly(DEC) for _ in range(4)))
    assert sum(r["granted"] for r in runs) == 3 and sum(r["cleared"] for r in runs) == 3
    assert all(r["failed"] == [] for r in runs)
    assert await SubsidyGrant.filter(month="2026-11").count() == 3
    assert await SubsidyGrant.filter(month="2026-12").count() == 3
    assert await SubsidyExpiry.filter(month="2026-11").count() == 3
    assert [await subsidy_of(n) for n in ("D0001", "D0002", "D0005")] == [30000, 30000, 30000]
    await assert_books_clean(DEC.date())
