"""Doing a keyed request once (`backend.core.idempotency.run_once`), with a stand-in operation
whose result is a row keyed by the idempotency key: a retry replays the first result, a key
reused for another request is refused, a twin that loses the unique race replays the winner's."""

from __future__ import annotations

import asyncio
import time

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from backend.core import idempotency, sql
from backend.core.errors import AppError

PROBE = "test_idempotency_probe"
LOCK = "test_idempotency_lock"
KEY_REUSED = "probe.key_used_elsewhere"


class Probe:
    """An operation that answers `request` with a new answer, stored with the request it
    answered on a row whose unique column is the idempotency key."""

    def __init__(self) -> None:
        self.acted = 0

    async def stored(self, conn, key: str) -> dict | None:
        return await sql.row(conn, f"SELECT request, answer FROM {PROBE} WHERE idem_key = $1", key)

    async def rows(self) -> list[dict]:
        return await sql.rows(connections.get("default"), f"SELECT idem_key, request, answer FROM {PROBE}")

    async def insert(self, conn, key: str, request: str, answer: str) -> None:
        await sql.execute(
            conn, f"INSERT INTO {PROBE} (idem_key, request, answer) VALUES ($1, $2, $3)", key, request, answer
        )

    async def lock(self, conn) -> dict | None:
        return await sql.row(conn, f"SELECT id FROM {LOCK} WHERE id = 1 FOR UPDATE")

    async def run(self, key: str, request: str, *, before_insert=None, find=None, **options) -> str:
        async def act(conn, _locked) -> str:
            self.acted += 1
            answer = f"answer-{self.acted}"
            if before_insert is not None:
                await before_insert()
            await self.insert(conn, key, request, answer)
            return answer

        async def replay(stored: dict) -> str:
            return stored["answer"]

        return await idempotency.run_once(
            act,
            find=find or (lambda conn: self.stored(conn, key)),
            matches=lambda stored: stored["request"] == request,
            refusal=lambda: AppError(KEY_REUSED, "这次提交的幂等键已用于另一笔业务", 409),
            replay=replay,
            **options,
        )


@pytest.fixture
async def probe(app) -> Probe:
    conn = connections.get("default")
    await conn.execute_script(
        f"DROP TABLE IF EXISTS {PROBE}; DROP TABLE IF EXISTS {LOCK};"
        f"CREATE TABLE {PROBE} (idem_key VARCHAR(64) NOT NULL UNIQUE, request VARCHAR(64) NOT NULL, "
        "answer VARCHAR(64) NOT NULL);"
        f"CREATE TABLE {LOCK} (id INTEGER PRIMARY KEY); INSERT INTO {LOCK} (id) VALUES (1);"
    )
    yield Probe()
    await conn.execute_script(f"DROP TABLE {PROBE}; DROP TABLE {LOCK};")


def _options(probe: Probe, locked: bool) -> dict:
    return {"lock": probe.lock} if locked else {}


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
async def test_a_retry_replays_the_first_result_and_acts_once(probe, locked):
    first = await probe.run("key-0001", "pay 5 yuan", **_options(probe, locked))
    again = await probe.run("key-0001", "pay 5 yuan", **_options(probe, locked))
    assert first == again == "answer-1"
    assert probe.acted == 1
    assert await probe.rows() == [{"idem_key": "key-0001", "request": "pay 5 yuan", "answer": "answer-1"}]


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
async def test_a_key_reused_for_another_request_is_refused_with_the_callers_error(probe, locked):
    await probe.run("key-0001", "pay 5 yuan", **_options(probe, locked))
    with pytest.raises(AppError) as refused:
        await probe.run("key-0001", "pay 500 yuan", **_options(probe, locked))
    assert refused.value.code == KEY_REUSED and refused.value.status == 409
    assert probe.acted == 1
    assert [r["request"] for r in await probe.rows()] == ["pay 5 yuan"]


def _twin_commits_after_our_look_up(probe: Probe, key: str, request: str):
    """A `find` that sees nothing the first time, as if the twin's row were committed just
    after our look-up; the twin's row is written before the run starts."""
    looked = []

    async def find(conn):
        looked.append(conn)
        return None if len(looked) == 1 else await probe.stored(conn, key)

    async def twin_wrote() -> None:
        await probe.insert(connections.get("default"), key, request, "twin's answer")

    return find, twin_wrote, looked


@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
async def test_a_twin_that_wins_the_unique_race_is_replayed(probe, locked):
    find, twin_wrote, looked = _twin_commits_after_our_look_up(probe, "key-0001", "pay 5 yuan")
    await twin_wrote()
    answer = await probe.run("key-0001", "pay 5 yuan", find=find, **_options(probe, locked))
    # our own attempt ran, hit the unique key, was rolled back and answered with the twin's result
    assert probe.acted == 1 and len(looked) == 2
    assert answer == "twin's answer"
    assert await probe.rows() == [{"idem_key": "key-0001", "request": "pay 5 yuan", "answer": "twin's answer"}]


async def test_a_twin_that_won_the_race_for_another_request_is_refused(probe):
    find, twin_wrote, _ = _twin_commits_after_our_look_up(probe, "key-0001", "pay 500 yuan")
    await twin_wrote()
    with pytest.raises(AppError) as refused:
        await probe.run("key-0001", "pay 5 yuan", find=find)
    assert refused.value.code == KEY_REUSED
    assert [r["answer"] for r in await probe.rows()] == ["twin's answer"]


async def test_a_conflict_the_look_up_cannot_explain_is_raised_as_it_came(probe):
    """Not every unique violation is a twin's: when `find` has nothing for the key after the
    conflict, replaying would answer a request that was never done."""
    await probe.insert(connections.get("default"), "key-0001", "pay 1 yuan", "someone else's")

    async def find_nothing(conn):
        return None

    with pytest.raises(IntegrityError):
        await probe.run("key-0001", "pay 5 yuan", find=find_nothing)
    assert probe.acted == 1


async def test_a_refused_action_stores_nothing_and_leaves_the_key_free(probe):
    async def refuse() -> None:
        raise AppError("probe.insufficient_balance", "余额不足", 402)

    # the refusal comes after the insert: the transaction that run_once opened rolls it back
    async def act(conn, _locked) -> str:
        await probe.insert(conn, "key-0001", "pay 5 yuan", "never")
        await refuse()
        return "never"

    with pytest.raises(AppError):
        await idempotency.run_once(act, find=lambda conn: probe.stored(conn, "key-0001"), replay=refuse)
    assert await probe.rows() == []
    assert await probe.run("key-0001", "pay 5 yuan") == "answer-1"


async def test_without_a_look_up_first_the_unique_row_decides(probe):
    """The shape of a terminal payment: the action owns its transactions, and a retry's own
    attempt conflicts on the unique row and replays the stored answer."""
    options = {"look_first": False, "transaction": False}
    first = await probe.run("TX-0001", "pay 5 yuan", **options)
    again = await probe.run("TX-0001", "pay 5 yuan", **options)
    assert first == again == "answer-1"
    assert probe.acted == 2 and len(await probe.rows()) == 1


async def test_a_check_without_its_refusal_or_a_lock_outside_a_transaction_is_a_mistake(probe):
    async def act(conn, _locked) -> str:
        return "never"

    async def find(conn) -> None:
        return None

    with pytest.raises(TypeError):
        await idempotency.run_once(act, find=find, replay=find, matches=lambda stored: True)
    with pytest.raises(TypeError):
        await idempotency.run_once(act, find=find, replay=find, lock=probe.lock, transaction=False)


# ---- under real concurrency, on PostgreSQL -----------------------------------------------------

TWINS = 8


async def _until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "the twins never got there"
        await asyncio.sleep(0.01)


async def test_twins_without_a_lock_all_act_and_the_losers_replay_the_winner(probe, requires_postgres):
    """Every twin looks before any inserts (they meet at a barrier), so all of them act: the
    unique key keeps one row, the others roll back on it and answer with that row."""
    barrier = asyncio.Barrier(TWINS)
    answers = await asyncio.wait_for(
        asyncio.gather(*(probe.run("key-race", "pay 5 yuan", before_insert=barrier.wait) for _ in range(TWINS))), 30
    )
    rows = await probe.rows()
    assert probe.acted == TWINS and len(rows) == 1
    assert set(answers) == {rows[0]["answer"]}


async def test_twins_under_a_lock_wait_for_the_first_and_replay_it(probe, requires_postgres):
    """The first twin to take the lock acts only once all the others are waiting on that lock;
    each of them then finds its result and replays it, none acts."""

    async def others_wait_on_the_lock() -> None:
        async def waiting() -> bool:
            found = await sql.row(
                connections.get("default"),
                "SELECT count(*) AS n FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            return found is not None and found["n"] == TWINS - 1

        if probe.acted == 1:
            await _until(waiting)

    answers = await asyncio.wait_for(
        asyncio.gather(
            *(
                probe.run("key-race", "pay 5 yuan", lock=probe.lock, before_insert=others_wait_on_the_lock)
                for _ in range(TWINS)
            )
        ),
        30,
    )
    assert probe.acted == 1
    assert answers == ["answer-1"] * TWINS
    assert len(await probe.rows()) == 1
