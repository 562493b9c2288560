"""Subsidy rules and the monthly grant from the console: a rule typed in yuan, changed and switched
off; a month granted from the page once per rendered form; each run kept with its totals and the
people it failed for, in Chinese; refusals at their fields; and only subsidy managers get in."""

import re

from backend.accounts.models import StaffCategory
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.wallet.models import SubsidyGrant, SubsidyGrantRun, SubsidyRule, Wallet
from backend.wallet.service import subsidy
from tests.helpers import admin_token, bearer, console_admin, seed_units_and_roster
from tests.helpers.money import assert_books_clean

MANAGER = ["wallet.manage_subsidy"]
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


async def grant_form_key(client) -> str:
    return KEY.search((await client.get("/console/wallet/subsidy")).text).group(1)


async def test_a_rule_is_set_in_yuan_changed_and_switched_off(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    csrf = await console_admin(client, "finance", MANAGER)
    saved = await client.post(
        "/console/wallet/subsidy/rules",
        data={"csrf_token": csrf, "unit_code": "FGW", "staff_category": "established", "amount_fen": "300"},
    )
    assert saved.headers["location"] == "/console/wallet/subsidy?done=rule_saved"
    rule = await SubsidyRule.get(unit__code="FGW")
    assert (rule.amount_fen, rule.expires_monthly, rule.is_active) == (30000, False, True)
    editing = await client.get("/console/wallet/subsidy?unit=FGW&category=established")
    assert 'name="amount_fen" value="300.00"' in editing.text and "市发展和改革委员会" in editing.text
    await client.post(
        "/console/wallet/subsidy/rules",
        data={
            "csrf_token": csrf,
            "unit_code": "FGW",
            "staff_category": "established",
            "amount_fen": "350.50",
            "expires_monthly": "on",
        },
    )
    rule = await SubsidyRule.get(id=rule.id)
    assert (rule.amount_fen, rule.expires_monthly) == (35050, True)
    off = await client.post(
        "/console/wallet/subsidy/rules/deactivate",
        data={"csrf_token": csrf, "unit_code": "FGW", "staff_category": "established"},
    )
    assert off.headers["location"].endswith("?done=rule_off")
    assert not (await SubsidyRule.get(id=rule.id)).is_active
    actions = await AuditEntry.filter(object_type="subsidy_rule").order_by("id").values_list("action", flat=True)
    assert actions == ["wallet.set_subsidy_rule", "wallet.set_subsidy_rule", "wallet.deactivate_subsidy_rule"]


async def test_a_bad_amount_or_unknown_unit_is_refused_at_its_field(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    csrf = await console_admin(client, "finance", MANAGER)
    bad_amount = await client.post(
        "/console/wallet/subsidy/rules",
        data={"csrf_token": csrf, "unit_code": "FGW", "staff_category": "established", "amount_fen": "三百"},
    )
    assert bad_amount.status_code == 422 and "请输入金额" in bad_amount.text and 'value="三百"' in bad_amount.text
    too_much = await client.post(
        "/console/wallet/subsidy/rules",
        data={"csrf_token": csrf, "unit_code": "FGW", "staff_category": "established", "amount_fen": "1000.01"},
    )
    assert too_much.status_code == 422 and "不能大于 100000" in too_much.text
    unknown = await client.post(
        "/console/wallet/subsidy/rules",
        data={"csrf_token": csrf, "unit_code": "NOPE", "staff_category": "established", "amount_fen": "300"},
    )
    assert unknown.status_code == 422 and "单位不存在" in unknown.text
    no_rule = await client.post(
        "/console/wallet/subsidy/rules/deactivate",
        data={"csrf_token": csrf, "unit_code": "CZJ", "staff_category": "contract"},
    )
    assert no_rule.status_code == 422 and "该单位和人员类别没有餐补规则" in no_rule.text
    assert await SubsidyRule.all().count() == 0


async def test_a_month_granted_from_the_page_runs_once_per_form_and_shows_its_result(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    csrf = await console_admin(client, "finance", MANAGER)
    month = subsidy.month_of(now())
    key = await grant_form_key(client)
    first = await client.post(
        "/console/wallet/subsidy/grants", data={"csrf_token": csrf, "idempotency_key": key, "month": month}
    )
    run = await SubsidyGrantRun.get(idempotency_key=key)
    assert first.headers["location"] == f"/console/wallet/subsidy/runs/{run.id}?done=granted"
    assert (run.granted, run.granted_fen, run.failures, run.admin_name) == (3, 90000, [], "finance")
    again = await client.post(
        "/console/wallet/subsidy/grants", data={"csrf_token": csrf, "idempotency_key": key, "month": month}
    )
    assert again.headers["location"] == f"/console/wallet/subsidy/runs/{run.id}?done=replayed"
    assert await SubsidyGrantRun.all().count() == 1 and await SubsidyGrant.filter(month=month).count() == 3
    result = await client.get(again.headers["location"])
    assert "未重复发放" in result.text and 'data-testid="granted">3<' in result.text and "900.00" in result.text
    other_month = await client.post(
        "/console/wallet/subsidy/grants", data={"csrf_token": csrf, "idempotency_key": key, "month": "2020-01"}
    )
    assert other_month.status_code == 422 and "已用于发放另一个月份" in other_month.text
    second_form = await client.post(
        "/console/wallet/subsidy/grants",
        data={"csrf_token": csrf, "idempotency_key": await grant_form_key(client), "month": month},
    )
    later = await SubsidyGrantRun.get(id=int(second_form.headers["location"].split("/")[-1].split("?")[0]))
    assert (later.granted, later.already) == (0, 3)
    assert sum(await Wallet.all().values_list("subsidy_balance", flat=True)) == 90000
    assert await AuditEntry.filter(action="wallet.grant_subsidy").count() == 2
    await assert_books_clean()


async def test_the_people_a_grant_failed_for_are_listed_with_the_reason(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    rule = await subsidy.set_rule(CLI_ACTOR, "FGW", StaffCategory.ESTABLISHED, 30000, True)
    # A rule saved before amounts had to be positive: every grant under it is refused.
    await SubsidyRule.filter(id=rule["id"]).update(amount_fen=0)
    await subsidy.run_monthly(now())
    csrf = await console_admin(client, "finance", MANAGER)
    listing = await client.get("/console/wallet/subsidy")
    assert "定时任务" in listing.text
    run = await SubsidyGrantRun.get()
    page = await client.get(f"/console/wallet/subsidy/runs/{run.id}")
    assert 'data-testid="failed">2<' in page.text
    assert "张伟" in page.text and "D0002" in page.text and "餐补金额须大于 0；不再发放请停用该规则" in page.text
    future = await client.post(
        "/console/wallet/subsidy/grants",
        data={"csrf_token": csrf, "idempotency_key": await grant_form_key(client), "month": "2999-01"},
    )
    assert future.status_code == 422 and "不能提前发放以后月份的餐补" in future.text
    blank = await client.post(
        "/console/wallet/subsidy/grants",
        data={"csrf_token": csrf, "idempotency_key": await grant_form_key(client), "month": ""},
    )
    assert blank.status_code == 422 and "必填" in blank.text
    stale = await client.post(
        "/console/wallet/subsidy/grants", data={"csrf_token": csrf, "month": subsidy.month_of(now())}
    )
    assert stale.status_code == 422 and "表单已失效" in stale.text
    assert await SubsidyGrantRun.all().count() == 1


async def test_only_subsidy_managers_open_the_page_or_grant(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    csrf = await console_admin(client, "cashier", ["wallet.view_wallet", "wallet.adjust_wallet"])
    assert (await client.get("/console/wallet/subsidy")).status_code == 403
    refused = await client.post(
        "/console/wallet/subsidy/grants",
        data={"csrf_token": csrf, "idempotency_key": "k" * 24, "month": subsidy.month_of(now())},
    )
    assert refused.status_code == 403
    rule = await client.post(
        "/console/wallet/subsidy/rules/deactivate",
        data={"csrf_token": csrf, "unit_code": "SJGSW", "staff_category": "established"},
    )
    assert rule.status_code == 403
    assert await SubsidyGrant.all().count() == 0 and (await SubsidyRule.get()).is_active
    assert "/console/wallet/subsidy" not in (await client.get("/console/")).text


async def test_grants_through_the_api_and_the_job_are_listed_as_whoever_ran_them(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await subsidy.set_rule(CLI_ACTOR, "SJGSW", StaffCategory.ESTABLISHED, 30000, True)
    token = await admin_token(client, "api_finance", MANAGER)
    month = subsidy.month_of(now())
    granted = await client.post("/admin/v1/wallet/subsidy-grants", headers=bearer(token), json={"month": month})
    assert granted.status_code == 200 and granted.json()["granted_fen"] == 90000
    await subsidy.run_monthly(now())
    runs = await SubsidyGrantRun.all().order_by("id").values_list("admin_name", "granted", "already")
    assert runs == [("api_finance", 3, 0), ("定时任务", 0, 3)]
    await console_admin(client, "finance", MANAGER)
    listing = await client.get("/console/wallet/subsidy")
    assert "api_finance" in listing.text and "定时任务" in listing.text
