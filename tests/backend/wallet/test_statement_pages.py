"""The wallet statement page (对账单): linked from the person's page, paged, exported whole as
.xlsx with the balance after each line; a range it cannot read comes back at its field."""

import io
import re
from datetime import timedelta
from decimal import Decimal

from openpyxl import load_workbook

from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import today
from backend.wallet.service import wallets
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import console_admin
from tests.helpers.money import grant_subsidy

VIEWER = ["accounts.view_person", "wallet.view_wallet"]


async def test_the_person_page_links_to_a_statement_that_runs_to_the_wallets_balance(client, terminal):
    person_id = await cardholder("D0001", "AA000001", cash=5_000)
    await grant_subsidy(person_id, 800)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    await console_admin(client, "viewer", VIEWER)
    person_page = (await client.get(f"/console/people/{person_id}")).text
    assert f'href="/console/people/{person_id}/statement"' in person_page
    shown = await client.get(f"/console/people/{person_id}/statement")
    assert shown.status_code == 200
    rows = re.findall(r'<tr data-line="\d+">(.*?)</tr>', shown.text, re.S)
    assert [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[1] for row in rows] == ["人工调账", "餐补发放", "食堂消费"]
    assert "第一食堂 午餐" in rows[2] and "流水号 TX-1" in rows[2] and "食堂营业收入" in rows[2]
    assert "-7.00" in rows[2] and "-8.00" in rows[2]
    assert "期初余额" in shown.text and "期末余额" in shown.text
    assert re.search(r'data-testid="closing">¥43.00<', shown.text)
    assert "共 3 笔" in shown.text


async def test_a_long_range_is_paged_and_the_last_page_closes_it(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    for i in range(60):
        await wallets.adjust(CLI_ACTOR, person_id, 100, f"第 {i + 1} 笔", f"statement-{i}")
    await console_admin(client, "viewer", VIEWER)
    first = (await client.get(f"/console/people/{person_id}/statement")).text
    assert (
        len(re.findall(r"<tr data-line=", first)) == 50
        and "下一页" in first
        and 'data-testid="closing-row"' not in first
    )
    second = (await client.get(f"/console/people/{person_id}/statement?page=2")).text
    lines = re.findall(r'<tr data-line="\d+">(.*?)</tr>', second, re.S)
    assert len(lines) == 10 and "第 60 笔" in lines[-1] and "60.00" in lines[-1]
    assert 'data-testid="closing-row"' in second and "第 2 / 2 页" in second


async def test_a_range_it_cannot_read_comes_back_at_its_field(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    await console_admin(client, "viewer", VIEWER)
    for query, field, message in (
        ("start=2026-13-01&end=2026-12-01", "start", "请输入日期"),
        ("start=2026-12-05&end=2026-12-01", "end", "结束日期不能早于开始日期"),
        ("start=2025-01-01&end=2026-06-30", "start", "最多查询 366 天"),
    ):
        for path in ("statement", "statement.xlsx"):
            refused = await client.get(f"/console/people/{person_id}/{path}?{query}")
            error = re.search(r'<label class="field has-error">.*?</label>', refused.text, re.S).group(0)
            assert refused.status_code == 422 and f'name="{field}"' in error and message in error, query
            assert 'data-testid="statement"' not in refused.text


async def test_the_export_holds_every_line_with_the_balance_after_it(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    for i in range(70):
        await wallets.adjust(CLI_ACTOR, person_id, -10 if i % 2 else 25, "调账", f"export-{i}")
    await console_admin(client, "viewer", VIEWER)
    start = today() - timedelta(days=3)
    exported = await client.get(f"/console/people/{person_id}/statement.xlsx?start={start}&end={today()}")
    assert exported.status_code == 200
    assert "filename*=UTF-8''" in exported.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(exported.content)).active
    header, opening, *lines, cash_in, cash_out, closing = list(sheet.iter_rows(values_only=True))
    assert header[:2] == ("时间", "类型") and header[7] == "现金余额（元）"
    assert opening[1] == "期初余额" and Decimal(str(opening[9])) == 0
    assert len(lines) == 71  # the fixture's top-up and the 70 adjustments
    balance = Decimal(0)
    for line in lines:
        balance += Decimal(str(line[5]))
        assert Decimal(str(line[7])) == balance
    assert (cash_in[1], cash_out[1], closing[1]) == ("本期收入", "本期支出", "期末余额")
    assert Decimal(str(closing[7])) == balance == Decimal("15.25")
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 1_525


async def test_only_wallet_viewers_within_their_units_may_read_a_statement(client, canteen):
    person_id = await cardholder("D0003", "AA000003")  # 财政局
    await console_admin(client, "roster", ["accounts.view_person"])
    assert (await client.get(f"/console/people/{person_id}/statement")).status_code == 403
    await console_admin(client, "fgw-viewer", VIEWER, unit_code="FGW")
    for path in ("statement", "statement.xlsx"):
        assert (await client.get(f"/console/people/{person_id}/{path}")).status_code == 403
