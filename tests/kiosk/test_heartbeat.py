"""The kiosk's heartbeat: its devices and journal reach the backend, and the console's device
page shows them in words (reader, printer paper, offline payments waiting, last sync)."""

from backend.accounts.models import Device
from backend.demo import create_superadmin
from kiosk.agent import Agent, Devices
from tests.fixtures.kiosk import eventually, kiosk_config
from tests.helpers import PASSWORD, console_login


async def test_the_heartbeat_carries_device_status_and_the_console_shows_it(client, terminal, kiosk_network, tmp_path):
    config = kiosk_config(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    agent = Agent(config, Devices.from_config(config))
    agent.devices.printer.paper_out = True
    await agent.start()
    try:
        device = await eventually(
            lambda: Device.get_or_none(code=terminal.code, last_status__not_isnull=True), what="the first heartbeat"
        )
    finally:
        await agent.stop()
    status = device.last_status
    assert (status["reader"], status["scanner"], status["printer"]) == ("ok", "none", "paper_out")
    assert status["offline_queue"] == 0 and status["last_sync"] and status["app_version"]
    assert status["blacklist_version"] == 0

    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    page = (await client.get("/console/devices")).text
    assert "读卡器正常" in page and "打印机缺纸" in page and "扫码器" not in page


async def test_the_console_shows_offline_payments_waiting_and_when_a_terminal_last_synced(client, terminal):
    await Device.filter(code=terminal.code).update(
        last_status={
            "reader": "disconnected",
            "printer": "paper_low",
            "offline_queue": 2,
            "last_sync": "2026-03-02T12:01:05+08:00",
        }
    )
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    page = (await client.get("/console/devices")).text
    for words in ("读卡器未连接", "打印机纸将用完", "脱机待上传 2 笔", "同步于 2026-03-02 12:01"):
        assert words in page
