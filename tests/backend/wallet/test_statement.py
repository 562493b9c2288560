"""A wallet's statement (对账单): every line of a range of business days with the balance after
it, from the opening balance to the closing one, which for a range up to today is the wallet's
balance; Beijing days bound the range whatever offset a moment was written with."""

from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

import pytest
from tortoise.transactions import in_transaction

from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, today
from backend.wallet.models import TransferKind
from backend.wallet.service import ledger, statement, wallets
from tests.fixtures.canteen import cardholder, pay
from tests.helpers.money import assert_books_clean, grant_subsidy


async def move(person_id: int, at: datetime, cash: int, memo: str = "调账") -> None:
    """A cash line at `at`, against the manual-adjustment account, as an adjustment writes it."""
    wallet = await wallets.ensure_wallet(person_id)
    async with in_transaction() as conn:
        if cash < 0:
            assert await wallets.debit(conn, wallet.id, cash=-cash)
        else:
            await wallets.credit(conn, wallet.id, cash=cash)
        await ledger.post(
            conn,
            TransferKind.ADJUSTMENT,
            [(ledger.wallet_cash(wallet.id), cash), (ledger.MANUAL_ADJUSTMENT, -cash)],
            at=at,
            memo=memo,
        )


def beijing(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BUSINESS_TZ)


async def test_balance_after_every_line_runs_from_the_opening_to_the_wallets_balance(canteen):
    person_id = await cardholder("D0001", "AA000001")
    first_day = today() - timedelta(days=40)
    moves = []
    for i in range(150):  # several lines a day for 40 days, credits and debits
        amount = -450 if i % 3 == 2 else 700
        at = beijing(first_day + timedelta(days=i * 40 // 150), 8 + i % 12, i % 60)
        await move(person_id, at, amount)
        moves.append((at, amount))
    expected = list(accumulate(amount for _, amount in sorted(moves, key=lambda m: m[0])))
    whole = await statement.statement(person_id, first_day, today())
    assert whole["count"] == 150 and whole["opening"]["total_fen"] == 0
    assert [line["cash_after_fen"] for line in whole["lines"]] == expected
    wallet = await wallets.wallet_view(person_id)
    assert whole["closing"] == {"cash_fen": wallet["cash_fen"], "subsidy_fen": 0, "total_fen": wallet["cash_fen"]}
    assert whole["totals"]["cash_in_fen"] == 100 * 700 and whole["totals"]["cash_out_fen"] == -50 * 450

    # A range in the middle opens with what the lines before it left, and its pages run on.
    start, end = first_day + timedelta(days=10), first_day + timedelta(days=20)
    middle = await statement.statement(person_id, start, end)
    inside = [line for line in whole["lines"] if start <= date.fromisoformat(line["at"][:10]) <= end]
    before = whole["lines"][: whole["lines"].index(inside[0])]
    assert middle["opening"]["cash_fen"] == before[-1]["cash_after_fen"]
    assert middle["lines"] == inside
    assert middle["closing"]["cash_fen"] == inside[-1]["cash_after_fen"]
    pages = [await statement.statement(person_id, start, end, offset=o, limit=7) for o in range(0, len(inside) + 7, 7)]
    assert [line for p in pages for line in p["lines"]] == inside
    assert pages[-1]["lines"] == [] and pages[-1]["closing"] == middle["closing"]
    await assert_books_clean()


async def test_days_are_beijing_days_whatever_offset_a_moment_was_written_with(canteen):
    person_id = await cardholder("D0001", "AA000001")
    day = date(2026, 11, 2)
    await move(person_id, beijing(day - timedelta(days=1), 23, 50), 100, "前一天深夜")
    await move(person_id, beijing(day, 0, 10), 200, "零点过后")
    # 00:30 in Beijing, written in UTC (still the day before there): it belongs to `day`, after 00:10.
    await move(person_id, datetime(2026, 11, 1, 16, 30, tzinfo=UTC), 400, "UTC 写入")
    await move(person_id, beijing(day, 23, 59), 800, "当天最后")
    await move(person_id, beijing(day + timedelta(days=1), 0, 0), 1_600, "第二天零点")
    shown = await statement.statement(person_id, day, day)
    assert [line["memo"] for line in shown["lines"]] == ["零点过后", "UTC 写入", "当天最后"]
    assert shown["lines"][1]["at"].startswith("2026-11-02T00:30")
    assert shown["opening"]["cash_fen"] == 100 and shown["closing"]["cash_fen"] == 1_500
    assert [line["cash_after_fen"] for line in shown["lines"]] == [300, 700, 1_500]


async def test_lines_say_what_they_were_and_who_was_on_the_other_side(client, terminal):
    person_id = await cardholder("D0001", "AA000001", cash=5_000)
    await grant_subsidy(person_id, 800)
    assert (await pay(client, terminal, "TX-7", card_uid="AA000001")).status_code == 200
    lines = (await statement.statement(person_id, today(), today()))["lines"]
    assert [(line["kind_label"], line["counterparty"]) for line in lines] == [
        ("人工调账", "人工调账"),
        ("餐补发放", "单位餐补经费"),
        ("食堂消费", "食堂营业收入"),
    ]
    meal = lines[-1]
    assert meal["memo"] == "第一食堂 午餐" and meal["reference"].endswith("流水号 TX-7")
    assert (meal["cash_fen"], meal["subsidy_fen"]) == (-700, -800)
    assert (meal["cash_after_fen"], meal["subsidy_after_fen"], meal["total_after_fen"]) == (4_300, 0, 4_300)


@pytest.mark.parametrize(
    ("start", "end", "code"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "wallet.statement_range_reversed"),
        (date(2025, 1, 1), date(2026, 1, 2), "wallet.statement_range_too_long"),
    ],
)
async def test_a_range_backwards_or_longer_than_a_year_is_refused(canteen, start, end, code):
    person_id = await cardholder("D0001", "AA000001")
    with pytest.raises(AppError) as refused:
        await statement.statement(person_id, start, end)
    assert refused.value.code == code


async def test_a_leap_years_366_days_are_one_statement(canteen):
    person_id = await cardholder("D0001", "AA000001", cash=100)
    shown = await statement.statement(person_id, date(2028, 1, 1), date(2028, 12, 31))
    assert shown["count"] == 0 and shown["opening"] == shown["closing"]
