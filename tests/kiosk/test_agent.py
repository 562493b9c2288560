"""The agent between devices and screen, against the real backend: what the page is sent, a
card left on the reader, a printer out of paper, and 查询余额 ending on time."""

import asyncio

import aiohttp
import pytest

from backend.canteen.models import CanteenPayment
from kiosk import agent as agent_module
from kiosk.agent import Agent, Devices
from tests.canteen_fixtures import cardholder
from tests.kiosk.harness import kiosk_config


@pytest.fixture
async def agent(app, terminal, tmp_path):
    config = kiosk_config(app.ctx.base_url, terminal.code, terminal.secret, tmp_path, repeat_ignore_seconds=2.0)
    running = Agent(config, Devices.from_config(config))
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


async def next_event(socket, kind: str, timeout: float = 5.0) -> dict:
    while (event := await asyncio.wait_for(socket.receive_json(), timeout))["type"] != kind:
        pass
    return event


async def test_a_card_left_on_the_reader_pays_once(agent, screen):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    agent.devices.card_reader.tap("04A1B2C3")
    agent.devices.card_reader.tap("04A1B2C3")
    assert (await next_event(screen, "result"))["kind"] == "paid"
    with pytest.raises(TimeoutError):
        await next_event(screen, "result", timeout=0.5)
    assert await CanteenPayment.all().count() == 1


async def test_a_printer_out_of_paper_never_reaches_the_diner(agent, screen):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    agent.devices.printer.paper_out = True
    agent.devices.card_reader.tap("04A1B2C3")
    assert (await next_event(screen, "result"))["kind"] == "paid"
    await asyncio.sleep(0.1)  # the receipt is tried after the result is shown
    assert agent.devices.printer.receipts == []
    assert (await agent.status())["printer"] == "paper_out"


async def test_balance_mode_ends_on_time_and_the_screen_is_told(agent, screen, monkeypatch):
    monkeypatch.setattr(agent_module, "BALANCE_MODE_SECONDS", 0.3)
    await screen.send_json({"type": "balance_mode"})
    assert (await next_event(screen, "state"))["mode"] == "balance"
    assert (await next_event(screen, "state", timeout=2.0))["mode"] == "pay"
