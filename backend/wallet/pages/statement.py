"""A person's wallet statement (对账单) in the console, linked from their page: the lines of a
range of business days with the balance after each, paged on screen, and the whole range as
.xlsx. A range that cannot be read, runs backwards or is too long comes back at its field."""

from __future__ import annotations

from datetime import date, datetime

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import runtime, scope
from backend.accounts.service import people as accounts
from backend.console.forms import FormErrors
from backend.console.render import page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.money import yuan
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import BUSINESS_TZ, parse_day, today
from backend.core.web.responses import xlsx_download
from backend.wallet.errors import WalletError
from backend.wallet.permissions import WalletPermission
from backend.wallet.service import statement as service

bp = Blueprint("wallet_statement_pages", url_prefix="/console/people")

PAGE_SIZE = 50
RANGE_FIELDS = {WalletError.STATEMENT_RANGE_REVERSED.code: "end", WalletError.STATEMENT_RANGE_TOO_LONG.code: "start"}
HEADER = (
    "时间",
    "类型",
    "说明",
    "对方",
    "单号",
    "现金（元）",
    "餐补（元）",
    "现金余额（元）",
    "餐补余额（元）",
    "余额合计（元）",
)


def _range(request: Request) -> tuple[dict[str, str], FormErrors]:
    """The days the URL asks for as typed (this month so far when it names none), and what in
    them is not a date."""
    typed = {
        "start": (request.args.get("start") or "").strip() or today().replace(day=1).isoformat(),
        "end": (request.args.get("end") or "").strip() or today().isoformat(),
    }
    errors = FormErrors(
        {name: "请输入日期，格式如 2026-12-01" for name, text in typed.items() if parse_day(text) is None}
    )
    return typed, errors


async def _read(request: Request, person_id: int, **paging) -> tuple[dict, dict | None, dict[str, str], FormErrors]:
    """The person (within the units this admin may see wallets of), the statement of the range
    the URL asks for (None when it is refused), the range as typed, and the refusals by field."""
    person = await accounts.get_person(runtime(request).cipher, scope(request, WalletPermission.VIEW_WALLET), person_id)
    typed, errors = _range(request)
    if errors:
        return person, None, typed, errors
    start, end = (date.fromisoformat(typed[name]) for name in ("start", "end"))
    try:
        return person, await service.statement(person_id, start, end, **paging), typed, errors
    except AppError as refusal:
        if refusal.code not in RANGE_FIELDS:
            raise
        return person, None, typed, FormErrors({RANGE_FIELDS[refusal.code]: refusal.message})


def _page_number(request: Request) -> int:
    try:
        return max(1, min(int(request.args.get("page") or 1), 100_000))
    except ValueError:
        return 1


def seconds(moment: str) -> str:
    """A line's moment (ISO, business time) to the second: lines a minute apart stay apart."""
    return datetime.fromisoformat(moment).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M:%S")


async def _render(request: Request, person: dict, shown: dict | None, typed: dict, errors: FormErrors, number: int):
    return await page(
        request,
        "wallet/statement.html",
        status=422 if errors else 200,
        person=person,
        statement=shown,
        errors=errors,
        typed=typed,
        page_number=number,
        pages=max(1, -(-shown["count"] // PAGE_SIZE)) if shown else 1,
        page_size=PAGE_SIZE,
        max_days=service.MAX_DAYS,
        seconds=seconds,
    )


@bp.get("/<person_id:int>/statement")
@console_page(WalletPermission.VIEW_WALLET)
async def statement_page(request: Request, person_id: int):
    number = _page_number(request)
    person, shown, typed, errors = await _read(request, person_id, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return await _render(request, person, shown, typed, errors, number)


@bp.get("/<person_id:int>/statement.xlsx")
@console_page(WalletPermission.VIEW_WALLET)
async def statement_export(request: Request, person_id: int):
    """The whole range, every line; a refused range comes back as the page with its errors."""
    person, whole, typed, errors = await _read(request, person_id)
    if whole is None:
        return await _render(request, person, None, typed, errors, 1)
    body = await table_workbook("对账单", HEADER, statement_rows(whole))
    return xlsx_download(body, f"一卡通对账单-{person['employee_no']}-{whole['start']}至{whole['end']}.xlsx")


def _balances(balance: dict) -> list:
    return [yuan(balance["cash_fen"]), yuan(balance["subsidy_fen"]), yuan(balance["total_fen"])]


def statement_rows(whole: dict) -> list[list]:
    """The sheet: the opening balance, a row per line with the balances after it, the totals
    moved, and the closing balance."""
    totals = whole["totals"]
    return [
        [whole["start"], "期初余额", "", "", "", None, None, *_balances(whole["opening"])],
        *(
            [
                seconds(line["at"]),
                line["kind_label"],
                line["memo"],
                line["counterparty"],
                line["reference"],
                yuan(line["cash_fen"]),
                yuan(line["subsidy_fen"]),
                yuan(line["cash_after_fen"]),
                yuan(line["subsidy_after_fen"]),
                yuan(line["total_after_fen"]),
            ]
            for line in whole["lines"]
        ),
        ["", "本期收入", "", "", "", yuan(totals["cash_in_fen"]), yuan(totals["subsidy_in_fen"]), None, None, None],
        ["", "本期支出", "", "", "", yuan(totals["cash_out_fen"]), yuan(totals["subsidy_out_fen"]), None, None, None],
        [whole["end"], "期末余额", "", "", "", None, None, *_balances(whole["closing"])],
    ]
