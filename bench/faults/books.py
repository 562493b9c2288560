"""The world the terminals pay in, and the books checked after each fault.

The world is the canteen benchmark's (bench.canteen_pay.prepare: a canteen open all day, funded
cards, registered terminals with their secrets) plus a monthly subsidy rule covering everyone,
for the job scenario, and a repairs category and room, for the photo scenario.

The checks read the database directly (asyncpg), and run `houqin reconcile` itself.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass, field

import asyncpg

from bench.canteen_pay import prepare as prepare_canteen
from bench.common import staff_unit
from bench.faults.terminals import Terminal
from bench.faults.topology import HOUQIN

PEOPLE = 200
SUBSIDY_FEN = 20_000
# A second unit whose people no rule covers until the job scenario switches its rule on: its
# month's grants are then still to do, whatever ran before.
LATE_UNIT = "CITY2"
LATE_PEOPLE = 200


@dataclass
class World:
    terminals: list[tuple[str, str]]
    cards: list[str]
    repair_category: int
    repair_room: int


async def prepare(env: dict[str, str], terminal_count: int) -> World:
    from decimal import Decimal

    from backend.accounts.models import StaffCategory
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.repairs.service import catalog
    from backend.runtime import close_runtime, open_runtime
    from backend.wallet.service import subsidy

    terminals, cards = await prepare_canteen(env, terminal_count, PEOPLE)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await subsidy.set_rule(CLI_ACTOR, "CITY", StaffCategory.ESTABLISHED, SUBSIDY_FEN, False)
        await staff_unit(runtime.cipher, LATE_UNIT, "市财政局", LATE_PEOPLE, "S", "138")
        category = await catalog.save_category(CLI_ACTOR, "water", "水电", None, Decimal(2), Decimal(16), False)
        building = await catalog.create_location(CLI_ACTOR, "市民中心", None)
        room = await catalog.create_location(CLI_ACTOR, "301", building["id"])
    finally:
        await close_runtime(runtime)
    return World(terminals, cards, category["id"], room["id"])


async def cover_late_unit(env: dict[str, str]) -> None:
    """Switch on the second unit's subsidy rule (its people have no grant yet)."""
    from backend.accounts.models import StaffCategory
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.runtime import close_runtime, open_runtime
    from backend.wallet.service import subsidy

    runtime = await open_runtime(Settings.from_env(env))
    try:
        await subsidy.set_rule(CLI_ACTOR, LATE_UNIT, StaffCategory.ESTABLISHED, SUBSIDY_FEN, False)
    finally:
        await close_runtime(runtime)


async def cadre_tokens(env: dict[str, str], count: int) -> list[str]:
    """Mini-program sessions of `count` cadres, as the WeChat login would leave them (issued when
    needed: a Redis that lost its data lost the sessions too)."""
    from backend.accounts.models import Person
    from backend.core.config import Settings
    from backend.runtime import close_runtime, open_runtime

    runtime = await open_runtime(Settings.from_env(env))
    try:
        tokens = []
        for person in await Person.all().order_by("id").limit(count):
            openid = f"o-faults-{person.id}"
            await Person.filter(id=person.id).update(wechat_openid=openid)
            tokens.append(
                await runtime.cadre_auth.sessions.issue({"person_id": person.id, "openid": openid, "session_key": "x"})
            )
        return tokens
    finally:
        await close_runtime(runtime)


@dataclass
class Books:
    """What the database says about the money, against what the terminals told their diners."""

    lost: list[str] = field(default_factory=list)  # told paid, no paid payment
    double: list[str] = field(default_factory=list)  # charged more than once, or charged with no payment
    wrong_amount: list[str] = field(default_factory=list)  # charged another amount than the screen showed
    told_refused_but_charged: int = 0  # an unanswered attempt the backend applied (journaled as voided)
    reconcile: str = ""  # houqin reconcile's complaint, empty when clean

    @property
    def clean(self) -> bool:
        return not (self.lost or self.double or self.wrong_amount or self.reconcile)


async def check_books(db_url: str, env: dict[str, str], terminals: list[Terminal]) -> Books:
    books = Books()
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT d.code, p.terminal_txn_no, p.status, p.amount_fen, p.offline, p.disputed "
            "FROM canteen_payment p JOIN canteen_terminal t ON t.id = p.terminal_id "
            "JOIN accounts_device d ON d.id = t.device_id"
        )
        orphans = await conn.fetch(
            "SELECT t.id, t.reference FROM wallet_transfer t WHERE t.kind = 'canteen_payment' "
            "AND NOT EXISTS (SELECT 1 FROM canteen_payment p WHERE p.transfer_id = t.id)"
        )
        charges = await conn.fetch(
            "SELECT transfer_id, count(*) AS n FROM canteen_payment WHERE transfer_id IS NOT NULL "
            "GROUP BY transfer_id HAVING count(*) > 1"
        )
    finally:
        await conn.close()
    paid_rows: dict[tuple[str, str], list] = {}
    for row in rows:
        if row["status"] == "paid":
            paid_rows.setdefault((row["code"], row["terminal_txn_no"]), []).append(row)
    for terminal in terminals:
        for txn_no, answer in terminal.paid.items():
            found = paid_rows.get((terminal.code, txn_no), [])
            if not found:
                books.lost.append(f"{terminal.code}/{txn_no}{' (offline)' if answer.offline else ''}")
            elif len(found) > 1:
                books.double.append(f"{terminal.code}/{txn_no}: {len(found)} payments")
            elif found[0]["amount_fen"] != answer.amount_fen:
                books.wrong_amount.append(
                    f"{terminal.code}/{txn_no}: told {answer.amount_fen}, charged {found[0]['amount_fen']}"
                )
        told = set(terminal.paid)
        books.told_refused_but_charged += sum(
            1 for (code, txn_no) in paid_rows if code == terminal.code and txn_no not in told
        )
    books.double += [f"transfer {o['id']} ({o['reference']}) charged with no payment" for o in orphans]
    books.double += [f"transfer {c['transfer_id']} booked by {c['n']} payments" for c in charges]
    result = await asyncio.to_thread(
        subprocess.run, [*HOUQIN, "reconcile"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        books.reconcile = (result.stderr or result.stdout).strip().replace("\n", " | ")[:500]
    return books
