"""Faults end to end against the real backend: the network down, the agent process killed with
SIGKILL between taps and started again, an online attempt given up on after the backend had
applied it. Every payment reaches the ledger exactly once and the books stay clean."""

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.wallet.models import Wallet
from kiosk.agent import Agent, Devices
from tests.canteen_fixtures import LUNCH_PRICE, cardholder
from tests.conftest import _free_port as free_port
from tests.kiosk.harness import eventually, kiosk_config
from tests.money import assert_books_clean


class AgentProcess:
    """`python -m kiosk --sim` as its own process, driven through its simulator routes."""

    def __init__(self, backend_url: str, code: str, secret: str, data_dir):
        self.port = free_port()
        self.env = {**os.environ, "KIOSK_BACKEND_URL": backend_url, "KIOSK_DEVICE_CODE": code,
                    "KIOSK_DEVICE_SECRET": secret, "KIOSK_DATA_DIR": str(data_dir), "KIOSK_PORT": str(self.port),
                    "KIOSK_RETRY_SECONDS": "0.2", "KIOSK_HEARTBEAT_SECONDS": "1", "KIOSK_REPEAT_IGNORE_SECONDS": "0",
                    "LOG_LEVEL": "WARNING"}
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "kiosk", "--sim"], env=self.env)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=10) == -signal.SIGKILL

    def stop(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=10)

    async def status(self) -> dict | None:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{self.base}/api/status") as response:
                return await response.json()
        except aiohttp.ClientError:
            return None

    async def status_where(self, check, what: str) -> dict:
        async def matching():
            status = await self.status()
            return status if status is not None and check(status) else None

        return await eventually(matching, timeout=15, what=what)

    async def tap(self, card_uid: str) -> dict:
        """Tap a card on the simulated reader; the result the screen is sent."""
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{self.base}/ws") as screen:
            assert (await screen.receive_json())["type"] == "state"
            async with http.post(f"{self.base}/sim/card", json={"uid": card_uid}) as response:
                assert response.status == 202
            while (event := await asyncio.wait_for(screen.receive_json(), 10))["type"] != "result":
                pass
            return event


async def test_offline_payments_survive_a_killed_agent_and_reach_the_ledger_once(terminal, kiosk_network, tmp_path):
    cards = {"04A1B2C3": await cardholder("D0001", "04A1B2C3", cash=5000),
             "04A1B2C4": await cardholder("D0002", "04A1B2C4", cash=5000),
             "04A1B2C5": await cardholder("D0003", "04A1B2C5", cash=500)}
    agent = AgentProcess(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    agent.start()
    try:
        await agent.status_where(lambda s: s["online"] and s["blacklist_version"] is not None, "the agent online")
        await kiosk_network.cut()

        first = await agent.tap("04A1B2C3")
        agent.kill()
        agent.start()
        await agent.status_where(lambda s: s["online"] is False and s["offline_queue"] == 1, "the restarted agent")
        taken = [first, await agent.tap("04A1B2C4"), await agent.tap("04A1B2C5")]
        assert [(r["kind"], r["offline"], r["amount_fen"]) for r in taken] == [("paid", True, LUNCH_PRICE)] * 3
        assert await CanteenPayment.all().count() == 0

        await kiosk_network.mend()
        await agent.status_where(lambda s: s["online"] and s["offline_queue"] == 0, "the journal uploaded")
        assert agent.stop() == 0
    finally:
        if agent.process.poll() is None:
            agent.kill()

    for result, person_id in zip(taken, cards.values()):
        [payment] = await CanteenPayment.filter(terminal_txn_no=result["txn_no"])
        assert (payment.person_id, payment.offline, payment.status) == (person_id, True, PaymentStatus.PAID)
    assert await CanteenPayment.all().count() == 3
    wallets = {w.person_id: w for w in await Wallet.filter(person_id__in=list(cards.values()))}
    assert [wallets[p].cash_balance for p in cards.values()] == [3500, 3500, 0]
    assert wallets[cards["04A1B2C5"]].overdraft_owed == 1000  # advanced offline, owed until the next top-up
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
        online = await eventually(lambda: CanteenPayment.get_or_none(terminal_txn_no=result["txn_no"]),
                                  what="the backend applying the online attempt")
        assert online.offline is False

        kiosk_network.response_delay = 0.0
        await eventually(lambda: agent.journal.pending_count() == 0, what="the journal uploaded")
    finally:
        await agent.stop()
    assert await CanteenPayment.filter(terminal_txn_no=result["txn_no"]).count() == 1
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - LUNCH_PRICE
    await assert_books_clean()

