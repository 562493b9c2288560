"""Faults end to end against the real backend: the network down, the backend process stopped,
the agent process killed with SIGKILL between taps, right after the screen said paid and between
the backend applying an upload and the agent hearing so, an online attempt given up on after the
backend had applied it. Every payment reaches the ledger exactly once and the books stay clean."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.wallet.models import Wallet
from kiosk.agent import Agent, Devices
from tests.fixtures.canteen import LUNCH_PRICE, cardholder
from tests.fixtures.kiosk import AgentProcess, BackendProcess, eventually, kiosk_config
from tests.helpers.money import assert_books_clean

UPLOAD = ("POST", "/device/v1/canteen/offline-payments")


@pytest.fixture
async def diners(canteen) -> dict[str, int]:
    """Three cardholders (card UID -> person id); the last has a third of a meal's price."""
    return {
        "04A1B2C3": await cardholder("D0001", "04A1B2C3", cash=5000),
        "04A1B2C4": await cardholder("D0002", "04A1B2C4", cash=5000),
        "04A1B2C5": await cardholder("D0003", "04A1B2C5", cash=500),
    }


def online(status: dict) -> bool:
    """The agent has reached the backend and holds its risk parameters (it can take payments offline)."""
    return status["online"] and status["blacklist_version"] is not None


def all_uploaded(status: dict) -> bool:
    return status["online"] and status["offline_queue"] == 0


def offline_holding(entries: int) -> Callable[[dict], bool]:
    return lambda status: status["online"] is False and status["offline_queue"] == entries


async def three_applied_offline() -> bool:
    return await CanteenPayment.filter(offline=True).count() == 3


async def assert_each_diner_charged_once(taken: list[dict], diners: dict[str, int]) -> None:
    """Each offline result is one paid payment of its diner in the ledger, there is no other, and
    the books are clean."""
    for result, person_id in zip(taken, diners.values(), strict=True):
        assert (result["kind"], result["offline"], result["amount_fen"]) == ("paid", True, LUNCH_PRICE)
        [payment] = await CanteenPayment.filter(terminal_txn_no=result["txn_no"])
        assert (payment.person_id, payment.offline, payment.status) == (person_id, True, PaymentStatus.PAID)
    assert await CanteenPayment.all().count() == 3
    wallets = {w.person_id: w for w in await Wallet.filter(person_id__in=list(diners.values()))}
    assert [wallets[p].cash_balance for p in diners.values()] == [3500, 3500, 0]
    assert wallets[diners["04A1B2C5"]].overdraft_owed == 1000  # advanced offline, owed until the next top-up
    await assert_books_clean()


async def tap_each_offline_killed_after_the_first(
    agent: AgentProcess,
    diners: dict[str, int],
    lose_backend: Callable[[], Awaitable[None]],
    restore_backend: Callable[[], Awaitable[None]],
) -> list[dict]:
    """With the agent online, lose the backend; each diner taps, the agent is killed with SIGKILL
    and started again after the first; restore the backend and let the agent upload. The results
    the screen showed."""
    agent.start()
    try:
        await agent.status_where(online, "the agent online")
        await lose_backend()

        first_card, *other_cards = diners
        taken = [await agent.tap(first_card)]
        agent.kill()
        agent.start()
        await agent.status_where(offline_holding(1), "the restarted agent")
        taken += [await agent.tap(card_uid) for card_uid in other_cards]
        assert await CanteenPayment.all().count() == 0

        await restore_backend()
        await agent.status_where(all_uploaded, "the journal uploaded")
        assert agent.stop() == 0
    finally:
        agent.kill_if_running()
    return taken


async def test_offline_payments_survive_a_killed_agent_and_reach_the_ledger_once(
    terminal, diners, kiosk_network, tmp_path
):
    agent = AgentProcess(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    taken = await tap_each_offline_killed_after_the_first(agent, diners, kiosk_network.cut, kiosk_network.mend)
    await assert_each_diner_charged_once(taken, diners)


async def test_offline_payments_taken_while_the_backend_is_stopped_reach_the_ledger_once_it_is_back(
    terminal, diners, settings, tmp_path
):
    """Not the network: the backend's own process stops (nothing listens on its port) and is
    started again."""
    backend = BackendProcess(settings)
    await backend.start()
    try:
        agent = AgentProcess(backend.url, terminal.code, terminal.secret, tmp_path)
        taken = await tap_each_offline_killed_after_the_first(agent, diners, backend.stop, backend.start)
    finally:
        await backend.stop_if_running()
    await assert_each_diner_charged_once(taken, diners)


async def test_an_upload_applied_but_unanswered_before_a_kill_is_uploaded_again_and_charged_once(
    terminal, diners, kiosk_network, tmp_path
):
    """The agent dies after the backend has committed an upload and before the agent has marked
    its entries: it uploads them again, the backend answers duplicate and charges nothing more."""
    agent = AgentProcess(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    agent.start()
    try:
        await agent.status_where(online, "the agent online")
        await kiosk_network.cut()
        taken = [await agent.tap(card_uid) for card_uid in diners]

        kiosk_network.hold_answers_to(*UPLOAD)
        await kiosk_network.mend()
        await eventually(three_applied_offline, what="the backend applying the upload")
        agent.kill()
        kiosk_network.release_answers()  # to a dead agent: it never hears it
        assert agent.journal() == {r["txn_no"]: None for r in taken}

        agent.start()
        await agent.status_where(all_uploaded, "the journal uploaded again")
        assert agent.stop() == 0
    finally:
        agent.kill_if_running()
    assert agent.journal() == {r["txn_no"]: "duplicate" for r in taken}
    await assert_each_diner_charged_once(taken, diners)


async def test_an_offline_payment_the_screen_called_paid_survives_a_kill_at_that_moment(
    terminal, kiosk_network, tmp_path
):
    """The screen says paid only once the journal entry is committed: with the journal's disk busy
    the screen waits, and the agent killed the moment it says paid finds the entry on restart. (A
    SIGKILL leaves the page cache alone; that a commit also reaches the disk before a power cut is
    the journal's synchronous=FULL, checked in test_journal.)"""
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    agent = AgentProcess(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    agent.start()
    try:
        await agent.status_where(online, "the agent online")
        await kiosk_network.cut()
        await agent.status_where(offline_holding(0), "the agent offline")

        with agent.journal_locked():
            delivered = asyncio.Event()
            tapping = asyncio.create_task(agent.tap("04A1B2C3", kill_when_shown=True, delivered=delivered))
            await asyncio.wait_for(delivered.wait(), 10)
            # A window, not a wait for something to happen: the agent has the card, and what is
            # checked is that nothing reaches the screen while the journal cannot be written.
            # Unlocked, the result comes within milliseconds; the agent gives up on the journal
            # after sqlite3's five seconds.
            await asyncio.sleep(0.5)
            assert not tapping.done(), "the screen answered before the journal could be written"
        result = await tapping
        assert (result["kind"], result["offline"]) == ("paid", True)
        assert agent.journal() == {result["txn_no"]: None}

        agent.start()
        await agent.status_where(offline_holding(1), "the restarted agent")
        await kiosk_network.mend()
        await agent.status_where(all_uploaded, "the journal uploaded")
        assert agent.stop() == 0
    finally:
        agent.kill_if_running()
    [payment] = await CanteenPayment.all()
    assert (payment.terminal_txn_no, payment.person_id, payment.offline) == (result["txn_no"], person_id, True)
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - LUNCH_PRICE
    await assert_books_clean()


async def test_a_payment_given_up_on_after_the_backend_applied_it_is_charged_once(terminal, kiosk_network, tmp_path):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    config = kiosk_config(kiosk_network.url, terminal.code, terminal.secret, tmp_path, online_deadline_ms=300)
    agent = Agent(config, Devices.from_config(config))
    await agent.start()
    try:
        await eventually(lambda: agent.link.online and agent.link.risk, what="the agent online")
        kiosk_network.response_delay = 1.0  # answers arrive after the kiosk has stopped waiting

        result = await agent.cashier.pay_by_card("04A1B2C3")
        assert result["kind"] == "paid" and result["offline"] is True
        online = await eventually(
            lambda: CanteenPayment.get_or_none(terminal_txn_no=result["txn_no"]),
            what="the backend applying the online attempt",
        )
        assert online.offline is False

        kiosk_network.response_delay = 0.0
        await eventually(lambda: agent.journal.pending_count() == 0, what="the journal uploaded")
    finally:
        await agent.stop()
    assert await CanteenPayment.filter(terminal_txn_no=result["txn_no"]).count() == 1
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - LUNCH_PRICE
    await assert_books_clean()
