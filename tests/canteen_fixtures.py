"""Canteen fixtures for any test: a canteen whose lunch is open all day, a fixed-price terminal,
and cadres with cards (registered as a pytest plugin by tests/conftest.py)."""

from dataclasses import dataclass
from datetime import time

import pytest

from backend.accounts.models import DeviceKind, Person
from backend.accounts.service import devices
from backend.canteen.models import DinerCategory, TerminalMode
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.wallet.service import wallets
from kiosk.backend_client import signature_headers
from tests.helpers import json_body, seed_units_and_roster

LUNCH_PRICE = 1500
SUBSIDY_CAP = 1000


@dataclass
class Terminal:
    code: str
    secret: str

    def headers(self, path: str, body: bytes) -> dict:
        return {**signature_headers(self.code, self.secret, "POST", path, "", body), "Content-Type": "application/json"}


async def make_terminal(
    cipher, code: str, mode: TerminalMode = TerminalMode.FIXED_PRICE, canteen: str = "ST1"
) -> Terminal:
    _, secret = await devices.register_device(CLI_ACTOR, cipher, code, code, DeviceKind.CANTEEN_TERMINAL, "")
    await canteens.bind_terminal(CLI_ACTOR, canteen, code, mode, f"{code} 号机", scope=Scope.EVERYTHING)
    return Terminal(code, secret)


async def pay(client, terminal: Terminal, txn_no: str, **fields):
    body = json_body({"txn_no": txn_no, **fields})
    return await client.post(
        "/device/v1/canteen/pay", content=body, headers=terminal.headers("/device/v1/canteen/pay", body)
    )


@pytest.fixture
async def canteen(app, runtime):
    await seed_units_and_roster(runtime.cipher)
    await canteens.create_canteen(CLI_ACTOR, "ST1", "第一食堂", max_payment_fen=5000, scope=Scope.EVERYTHING)
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59, 59),
        1,
        {DinerCategory.STAFF: (LUNCH_PRICE, SUBSIDY_CAP), DinerCategory.CONTRACTOR: (2000, 0)},
        scope=Scope.EVERYTHING,
    )
    return "ST1"


@pytest.fixture
async def terminal(canteen, runtime) -> Terminal:
    return await make_terminal(runtime.cipher, "T-1")


SECOND_LUNCH_PRICE = 1200


@pytest.fixture
async def two_canteens(client, terminal, runtime) -> tuple[Terminal, Terminal]:
    """第一食堂 (ST1, terminal T-1) and 第二食堂 (ST2, terminal T-2, lunch 12.00), with one paid
    lunch in each: D0001 at ST1 (TX-1) and D0002 at ST2 (TX-2)."""
    await canteens.create_canteen(CLI_ACTOR, "ST2", "第二食堂", scope=Scope.EVERYTHING)
    await canteens.set_period(
        CLI_ACTOR,
        "ST2",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59, 59),
        1,
        {DinerCategory.STAFF: (SECOND_LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    second = await make_terminal(runtime.cipher, "T-2", canteen="ST2")
    await cardholder("D0001", "AA000001", cash=10_000)
    await cardholder("D0002", "AA000002", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    assert (await pay(client, second, "TX-2", card_uid="AA000002")).status_code == 200
    return terminal, second


async def cardholder(employee_no: str, uid: str, cash: int = 0, subsidy: int = 0) -> int:
    """A person with an active card and the given balances (credited through the ledger)."""
    person = await Person.get(employee_no=employee_no)
    await wallets.issue_card(CLI_ACTOR, person.id, uid)
    if cash:
        await wallets.adjust(CLI_ACTOR, person.id, cash, "测试充值", f"test-cash-{uid}")
    if subsidy:
        from tests.money import grant_subsidy

        await grant_subsidy(person.id, subsidy)
    return person.id
