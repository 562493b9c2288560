"""A cadre's start from the mini-program reaching a real pile: the simulator (the `ocpp` package's
ChargePoint over a real WebSocket) takes the remote start with the token, its session appears on
the start, the live view follows its meter, the cadre's stop reaches it, and the session is billed
once to the wallet as metered."""

from __future__ import annotations

import asyncio

import pytest

from backend.charging.service import starts
from backend.wallet.service import wallets
from tests.fixtures.charging import PASSWORD
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.money import assert_books_clean

pytest.importorskip("hardware.ocpp_pile", reason="the charge-point simulator (hardware/ocpp_pile.py)")
from tests.helpers.ocpp import pile_client  # noqa: E402


async def _until(fetch, done, seconds: float = 10.0):
    for _ in range(int(seconds / 0.05)):
        value = await fetch()
        if done(value):
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached in time: {value}")


async def test_a_start_in_the_mini_program_charges_at_the_pile_and_bills_the_wallet_once(
    app, client, wechat, charging_world
):
    w = charging_world
    token = await bound_token(client, wechat)
    cash_before = (await wallets.wallet_view(w.cadre_id))["cash_fen"]
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await pile.boot()
        for connector in (1, 2):
            await pile.status(connector, "Available")

        body = {"box_id": "CP-1001", "connector_id": 2, "client_ref": "press-0001"}
        answer = await client.post("/mp/v1/charging/starts", json=body, headers=bearer(token))
        assert answer.status_code == 200, answer.text

        async def progress():
            return (await client.get(f"/mp/v1/charging/starts/{answer.json()['id']}", headers=bearer(token))).json()

        started = await _until(progress, lambda p: p["session_id"] is not None)
        assert started["state"] == "started" and pile.plugs[2].transaction.id == started["session_id"]
        session_id = started["session_id"]

        # Ten minutes at 7 kW are 1166.67 Wh; the pile's register shows whole Wh, and what it
        # shows is what is billed.
        metered = await pile.meter(2, 600)
        assert metered == 1166
        live = (await client.get(f"/mp/v1/charging/sessions/{session_id}", headers=bearer(token))).json()
        assert live["state"] == "active" and live["energy_wh"] == metered and live["power_w"] == 7000
        running = live["amount_fen"]
        assert running > 0

        stopped = await client.post(f"/mp/v1/charging/sessions/{session_id}/stop", headers=bearer(token))
        assert stopped.status_code == 200, stopped.text

        async def receipt():
            return (await client.get(f"/mp/v1/charging/sessions/{session_id}/receipt", headers=bearer(token))).json()

        billed = await _until(receipt, lambda r: r["bill"] is not None)

    assert billed["state"] == "stopped" and billed["stop_reason"] == "Remote"
    assert billed["bill"]["energy_wh"] == metered and billed["bill"]["amount_fen"] == running
    assert billed["bill"]["paid_fen"] == running and billed["bill"]["shortfall_fen"] == 0
    assert (await wallets.wallet_view(w.cadre_id))["cash_fen"] == cash_before - running
    assert (await starts.history(w.cadre_id, 1, 20))["total"] == 1
    await assert_books_clean()
