"""Charging helpers for tests: what a pile reports, in a line each (a start, samples, a stop) at
moments of yesterday, the cash left in a cadre's wallet, and waiting for the services' tasks."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tortoise.transactions import in_transaction

from backend.charging.models import Pile
from backend.charging.service import background, sessions
from backend.charging.service.piles import PileRef
from backend.core.timeutil import BUSINESS_TZ, now, today
from backend.wallet.models import TransferKind
from backend.wallet.service import ledger, wallets


def ref(pile: Pile) -> PileRef:
    return PileRef(pile.id, pile.box_id, pile.site_id, pile.name, pile.connectors, pile.max_power_w)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A moment of yesterday, business time (in the past, under the test world's tariff)."""
    return datetime.combine(today() - timedelta(days=1), time(hour, minute, second), BUSINESS_TZ)


def sample(moment: datetime, energy_wh: int, power_w: int | None = 7000) -> sessions.Sample:
    return sessions.Sample(moment, energy_wh, power_w, None)


async def settled() -> None:
    """Let the tasks the services started (stops, power profiles) finish."""
    await background.drain()


async def start(world, runtime, id_tag: str, *, pile=None, connector: int = 1, meter: int = 0, when=None, **kw):
    moment = when or at(10)
    return await sessions.start_transaction(
        runtime.redis, ref(pile or world.pile), connector, id_tag, meter, moment, kw.pop("received", moment), **kw
    )


async def leave_cash(person_id: int, fen: int) -> None:
    """Take cash out of the cadre's wallet, as a manual adjustment would, until `fen` is left."""
    wallet = await wallets.ensure_wallet(person_id)
    amount = wallet.cash_balance - fen
    async with in_transaction() as conn:
        assert await wallets.debit(conn, wallet.id, cash=amount)
        await ledger.post(
            conn,
            TransferKind.ADJUSTMENT,
            [(ledger.wallet_cash(wallet.id), -amount), (ledger.MANUAL_ADJUSTMENT, amount)],
            at=now(),
            memo="测试扣减",
        )


async def stop(world, runtime, tx: int, meter: int, when: datetime, *, pile=None, connector_samples=()):
    return await sessions.stop_transaction(
        runtime.redis, ref(pile or world.pile), tx, meter, when, "Local", None, list(connector_samples), when
    )


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
