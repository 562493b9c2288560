"""Everything staff read in the console is Chinese: no page reachable from the navigation and no
Excel export shows a stored error code or an English field name, and the audit log names fields
in Chinese, amounts in yuan and objects by their names."""

import html
import io
import re
from datetime import time
from urllib.parse import urlsplit

from openpyxl import load_workbook
from tortoise import Tortoise

from backend.accounts.models import Person
from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus
from backend.canteen.service import canteens
from backend.core.audit import Actor
from backend.core.errors import registered_codes
from backend.core.permissions import Scope
from backend.demo import create_superadmin, seed
from backend.modules import modules
from backend.repairs.service import catalog
from tests.fixtures.canteen import make_terminal, pay
from tests.fixtures.repairs import file_report, upload
from tests.helpers import PASSWORD, console_login
from tests.helpers.cadres import bound_token

LINK = re.compile(r'href="(/console[^"#]*)"')
CODE_LIKE = re.compile(r"\b[a-z0-9_]+\.[a-z0-9_]+\b")
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# Pages whose GET changes the session rather than showing something.
NOT_PAGES = ("/console/logout",)
MAX_PAGES = 120


def _field_names() -> set[str]:
    """Names a person must never read in English: the models' fields and the audited fields,
    those of more than one word (a one-word name such as "uid" cannot be told from data, like a
    category's code "water")."""
    names = {f for app in Tortoise.apps.values() for model in app.values() for f in model._meta.fields_map}
    names |= {f for m in modules() for f in m.audit_fields}
    return {n for n in names if "_" in n}


def _visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _raw_words(text: str, fields: set[str]) -> list[str]:
    codes = registered_codes()
    found = [c for c in CODE_LIKE.findall(text) if c in codes]
    return found + [w for w in SNAKE_CASE.findall(text) if w in fields]


async def _demo_with_payments(client, runtime) -> None:
    """The demo data, a canteen open all day with a paid lunch (refunded, so the audit log names
    a payment) and a refused one (an unknown card, kept with its error code)."""
    await seed(runtime, if_empty=False)
    await canteens.create_canteen(Actor(None, "cli"), "ST9", "全天食堂", scope=Scope.EVERYTHING)
    await canteens.set_period(
        Actor(None, "cli"),
        "ST9",
        "allday",
        "全天",
        time(0, 0),
        time(23, 59, 59),
        3,
        {DinerCategory.STAFF: (1200, 0), DinerCategory.CONTRACTOR: (1200, 0)},
        scope=Scope.EVERYTHING,
    )
    terminal = await make_terminal(runtime.cipher, "T-9", canteen="ST9")
    assert (await pay(client, terminal, "TX-PAID", card_uid="04A1B2C3D4")).status_code == 200
    refused = await pay(client, terminal, "TX-UNKNOWN", card_uid="DEADBEEF")
    assert refused.json()["error"]["code"] == "canteen.unknown_card"
    paid = await CanteenPayment.get(terminal_txn_no="TX-PAID", status=PaymentStatus.PAID)
    await canteens.refund(Actor(None, "cli"), paid.id, "打错了菜", scope=Scope.EVERYTHING)
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")


async def _a_repair_report(client, wechat) -> None:
    """A cadre's report with a photo, so the repair board, the report's page and the statistics
    have something to show."""
    token = await bound_token(client, wechat)
    photo = (await upload(client, token)).json()["id"]
    category = (await catalog.list_categories())[0]["id"]
    room = next(p for p in await catalog.location_tree() if p["kind"] == "room")["id"]
    filed = await file_report(client, token, category, room, photo_ids=[photo])
    assert filed.status_code == 201, filed.text


async def test_no_console_page_or_export_shows_a_code_or_an_english_field_name(client, runtime, wechat):
    await _demo_with_payments(client, runtime)
    await _a_repair_report(client, wechat)
    fields = _field_names()
    home = await client.get("/console/")
    queue = list(dict.fromkeys(LINK.findall(home.text)))
    assert len(queue) >= 10, queue  # the navigation's pages
    seen: set[str] = set()
    exports: set[str] = set()
    problems: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        url = html.unescape(queue.pop(0))
        path = urlsplit(url).path
        if path in seen or path.startswith(NOT_PAGES):
            continue
        seen.add(path)
        if path.endswith(".xlsx"):
            exports.add(url)
            continue
        response = await client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        if words := _raw_words(_visible_text(response.text), fields):
            problems[url] = words
        queue += [link for link in LINK.findall(response.text) if urlsplit(html.unescape(link)).path not in seen]
    for url in exports:
        response = await client.get(url)
        assert response.status_code == 200, url
        book = load_workbook(io.BytesIO(response.content))
        cells = " ".join(str(c) for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if c)
        if words := _raw_words(cells, fields):
            problems[url] = words
    assert {"/console/canteen/payments", "/console/audit"} <= seen
    assert any("/console/canteen/payments/export.xlsx" in u for u in exports), exports
    assert not problems, problems


async def test_the_payments_page_and_export_say_why_a_payment_was_refused(client, runtime):
    await _demo_with_payments(client, runtime)
    page = await client.get("/console/canteen/payments?canteen=ST9")
    assert "未登记的卡，请到食堂服务台办理" in page.text and "canteen.unknown_card" not in page.text
    assert "<td>全天</td>" in page.text and "allday" not in page.text  # the period by its name
    export = await client.get("/console/canteen/payments/export.xlsx?canteen=ST9")
    notes = [row[-1] for row in load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True)]
    assert "未登记的卡，请到食堂服务台办理" in notes


async def test_the_audit_log_names_fields_in_chinese_amounts_in_yuan_and_objects_by_name(client, runtime):
    await _demo_with_payments(client, runtime)
    paid = await CanteenPayment.get(terminal_txn_no="TX-PAID")
    holder = (await Person.get(id=paid.person_id)).name
    refunds = await client.get("/console/audit?action=canteen.refund_payment")
    assert f"消费记录 #{paid.id} {holder} 12.00 元" in refunds.text
    assert "<b>金额</b>：12.00 元" in refunds.text and "<b>原因</b>：打错了菜" in refunds.text
    assert "<s>已支付</s> → 已退款" in refunds.text  # the status by its label
    adjustments = await client.get("/console/audit?action=wallet.adjust")
    assert "<b>现金余额</b>：<s>0.00 元</s> → 200.00 元" in adjustments.text
    assert re.search(r"一卡通账户 #\d+ \w+（D\d{4}）", adjustments.text)  # whose wallet
    rules = await client.get("/console/audit?action=wallet.set_subsidy_rule")
    assert re.search(r"餐补规则 #\d+ 市机关事务管理局 在编", rules.text)
    periods = await client.get("/console/audit?action=canteen.set_period&object_type=canteen")
    assert "食堂 #" in periods.text and "全天食堂" in periods.text
    assert "职工：餐价：12.00 元；餐补上限：0.00 元" in periods.text
    export = await client.get("/console/audit/export.xlsx?action=canteen.refund_payment")
    row = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))[1]
    assert row[3] == f"消费记录 #{paid.id} {holder} 12.00 元"
    assert "金额：12.00 元" in row[4] and "amount_fen" not in row[4]
