"""The agent between devices and screen, against the real backend: what the page is sent, a
card left on the reader, a printer out of paper, and 查询余额 ending on time."""

import asyncio

import aiohttp
import pytest

from backend.canteen.models import CanteenPayment
from hardware.status import DeviceState
from kiosk import agent as agent_module
from kiosk.agent import Agent, Devices
from tests.fixtures.canteen import LUNCH_PRICE, cardholder
from tests.fixtures.kiosk import kiosk_config
from tests.helpers.kiosk import next_event


@pytest.fixture
def receipts_tried() -> asyncio.Queue:
    """(receipt, print result) for each receipt, once the agent has tried to print it."""
    return asyncio.Queue()


@pytest.fixture
async def agent(app, terminal, tmp_path, receipts_tried):
    config = kiosk_config(app.ctx.base_url, terminal.code, terminal.secret, tmp_path, repeat_ignore_seconds=2.0)
    running = Agent(
        config,
        Devices.from_config(config),
        on_receipt=lambda receipt, outcome: receipts_tried.put_nowait((receipt, outcome)),
    )
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def screen(agent):
    """The page's WebSocket, once the agent has its canteen."""
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{agent.screen.url}ws") as socket:
        while not (await next_event(socket, "state"))["canteen"]:
            pass
        yield socket


async def test_a_card_left_on_the_reader_pays_once(agent, screen):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    agent.devices.card_reader.tap("04A1B2C3")
    agent.devices.card_reader.tap("04A1B2C3")
    assert (await next_event(screen, "result"))["kind"] == "paid"
    with pytest.raises(TimeoutError):
        await next_event(screen, "result", timeout=0.5)
    assert await CanteenPayment.all().count() == 1


async def test_a_printer_out_of_paper_never_reaches_the_diner(agent, screen, receipts_tried, monkeypatch):
    """The diner is shown the payment (paid, the amount, the balance left) and nothing else: no
    notice about the printer, and the idle screen as it was. Staff see the fault in the status."""
    await cardholder("D0001", "04A1B2C3", cash=5000)
    agent.devices.printer.paper_out = True
    idle = agent.snapshot()
    published: list[dict] = []  # every event the agent sends to the page
    show = agent.screen.show

    async def recording(event: dict) -> None:
        published.append(event)
        await show(event)

    monkeypatch.setattr(agent.screen, "show", recording)
    agent.devices.card_reader.tap("04A1B2C3")
    result = await next_event(screen, "result")
    receipt, outcome = await asyncio.wait_for(receipts_tried.get(), 5)  # printed after the result is shown

    assert (result["kind"], result["offline"], result["amount_fen"], result["balance"]["cash_fen"]) == (
        "paid",
        False,
        LUNCH_PRICE,
        5000 - LUNCH_PRICE,
    )
    assert (receipt.transaction_no, outcome.printed, outcome.status.state) == (
        result["txn_no"],
        False,
        DeviceState.PAPER_OUT,
    )
    assert [event for event in published if event["type"] != "state"] == [result]
    assert all(event == idle for event in published if event["type"] == "state")
    assert agent.snapshot() == idle
    assert agent.devices.printer.receipts == []
    assert (await agent.status())["printer"] == "paper_out"


async def test_balance_mode_ends_on_time_and_the_screen_is_told(agent, screen, monkeypatch):
    monkeypatch.setattr(agent_module, "BALANCE_MODE_SECONDS", 0.3)
    await screen.send_json({"type": "balance_mode"})
    assert (await next_event(screen, "state"))["mode"] == "balance"
    assert (await next_event(screen, "state", timeout=2.0))["mode"] == "pay"
