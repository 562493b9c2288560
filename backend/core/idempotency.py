"""Doing a keyed request once: a retry gets the first result back and nothing moves twice.

Every request that moves money or books a scarce thing carries an idempotency key. Each
operation keeps its key where it keeps its result, on a unique column of its own row (a ledger
transfer's `idempotency_key`, a cash refund, a repair report's `client_ref`, a terminal's
(terminal, txn_no)); this module holds no table of keys. What it holds is the one way of using
such a key, `run_once`:

    lock      optionally, take a lock the caller names (the wallet row), so that a retry that
              arrives while the first request is still acting waits for it;
    look      find the result stored for the key (under the lock when there is one);
    replay    if there is one, check it was made for this same request (a key reused for
              another person, amount or body is refused with the caller's own error, never
              answered as done) and return the answer to a retry;
    act       otherwise do the work, which stores its result on the unique row in the same
              transaction;
    conflict  if that store breaks the unique constraint, a concurrent twin got there first:
              look the result up again (its transaction has committed) and replay it.

Without a lock, concurrent twins may all find nothing and all act; the unique constraint then
keeps one and the others roll back and replay it. The lock only spares them the work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import isawaitable
from typing import TypeVar, cast

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

Stored = TypeVar("Stored")  # what `find` gives back: the operation's row, or its answer
Locked = TypeVar("Locked")  # what `lock` gives back: typically the locked row
Result = TypeVar("Result")  # the operation's answer, first time or replayed


async def run_once(
    act: Callable[[BaseDBAsyncClient, Locked], Awaitable[Result]],
    *,
    find: Callable[[BaseDBAsyncClient], Awaitable[Stored | None]],
    replay: Callable[[Stored], Awaitable[Result]],
    matches: Callable[[Stored], bool | Awaitable[bool]] | None = None,
    refusal: Callable[[], Exception] | None = None,
    lock: Callable[[BaseDBAsyncClient], Awaitable[Locked]] | None = None,
    look_first: bool = True,
    transaction: bool = True,
) -> Result:
    """The result of doing `act` once for the key that `find` looks up.

    - `act(conn, locked)` does the work and stores its result on the row whose unique key is
      the idempotency key; `locked` is what `lock` returned (None without a lock).
    - `find(conn)` gives the result stored for the key, or None.
    - `replay(stored)` is the answer to a retry.
    - `matches(stored)` tells whether the stored result was made for this same request; when
      it was not, `refusal()` is raised (give both or neither; without them any stored result
      is replayed).
    - `lock(conn)`, if given, runs first in the transaction, so the look-up waits for a twin
      that holds the lock to finish.
    - `look_first=False` skips the look-up before acting: the unique row alone decides, and a
      retry pays for its own attempt, rolled back on the conflict (the hot path of a payment,
      where almost no request is a retry).
    - `transaction=False` lets `act` own its transactions (it gets the default connection); it
      cannot be combined with a lock, which holds only inside a transaction.

    A unique-constraint conflict for which `find` then finds nothing was not a twin: it is
    raised as it came. Call this outside any transaction: the conflict rolls back the one it
    opens, and only then can the twin's committed result be read.
    """
    if (matches is None) != (refusal is None):
        raise TypeError("run_once: give both matches and refusal, or neither")
    if lock is not None and not transaction:
        raise TypeError("run_once: a lock holds only inside the transaction that run_once opens")

    async def replayed(stored: Stored) -> Result:
        if matches is not None and refusal is not None:
            same = matches(stored)
            if not (await same if isawaitable(same) else same):
                raise refusal()
        return await replay(stored)

    default = connections.get("default")
    try:
        if lock is None:
            unlocked = cast(Locked, None)  # what `act` is given without a lock
            if look_first and (stored := await find(default)) is not None:
                return await replayed(stored)
            if not transaction:
                return await act(default, unlocked)
            async with in_transaction() as conn:
                return await act(conn, unlocked)
        async with in_transaction() as conn:
            locked = await lock(conn)
            # Looked up under the lock: a retry that queued behind its first attempt sees it done.
            if look_first and (stored := await find(conn)) is not None:
                return await replayed(stored)
            return await act(conn, locked)
    except IntegrityError:
        # The twin's transaction has committed (its insert is what ours conflicted with).
        stored = await find(default)
        if stored is None:
            raise
        return await replayed(stored)
