"""The charging console in a real browser: the board with one pile online (a connector charging,
one faulted) and one offline; a pile registered with its password shown once and its QR codes
drawn; a fleet card registered; a session's page with its samples and bill; the tariff's
versions and the new-version form; a remote command sent and listed. Saved as screenshots."""

from datetime import timedelta

from backend.charging.models import (
    Bill,
    Command,
    Connector,
    ConnectorStatus,
    MeterValue,
    PayerKind,
    Pile,
    Session,
    SessionState,
    Tag,
)
from backend.core.timeutil import now
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def _charging_now(world) -> Session:
    """CP-1001 online with connector 1 charging a fleet car and connector 2 faulted; a stopped,
    billed session of the cadre with its samples."""
    at = now()
    await Pile.filter(id=world.pile.id).update(last_seen_at=at - timedelta(seconds=20))
    await Connector.create(pile=world.pile, connector_id=1, status=ConnectorStatus.CHARGING, status_at=at)
    await Connector.create(
        pile=world.pile, connector_id=2, status=ConnectorStatus.FAULTED, error_code="OverCurrentFailure", status_at=at
    )
    await Session.create(
        pile=world.pile,
        connector_id=1,
        id_tag=world.fleet_card,
        payer_kind=PayerKind.FLEET,
        vehicle=world.vehicle,
        unit_id=world.unit_id,
        tariff=world.tariff,
        meter_start_wh=10_000,
        meter_last_wh=14_200,
        running_fen=462,
        started_at=at - timedelta(minutes=40),
        received_at=at - timedelta(minutes=40),
    )
    stopped = await Session.create(
        pile=world.other_pile,
        connector_id=1,
        id_tag=world.card_uid,
        payer_kind=PayerKind.WALLET,
        person_id=world.cadre_id,
        tariff=world.tariff,
        state=SessionState.STOPPED,
        meter_start_wh=0,
        meter_last_wh=6000,
        meter_stop_wh=6000,
        started_at=at - timedelta(hours=5),
        stopped_at=at - timedelta(hours=4),
        received_at=at - timedelta(hours=5),
    )
    for minutes, wh, watts in ((45, 1500, 6800), (30, 3000, 7000), (15, 4500, 6900)):
        await MeterValue.create(
            session=stopped,
            at=stopped.stopped_at - timedelta(minutes=minutes),
            energy_wh=wh,
            power_w=watts,
            received_at=at,
        )
    await Bill.create(
        session=stopped,
        energy_wh=6000,
        bands={"peak": 2000, "flat": 4000},
        energy_fen=500,
        service_fen=240,
        amount_fen=740,
        paid_fen=740,
        transfer_id=1,
        billed_at=stopped.stopped_at,
    )
    return stopped


async def test_an_operator_walks_the_charging_console(browser_page, charging_world, screenshot):
    stopped = await _charging_now(charging_world)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    await page.click("nav >> text=充电桩看板")
    await page.wait_for_url("**/console/charging/board")
    assert await page.locator("[data-testid=online-CP-1001]").inner_text() == "在线"
    assert await page.locator("[data-testid=online-CP-1002]").inner_text() == "离线"
    board = await page.locator("[data-testid=board]").inner_text()
    assert "充电中" in board and "过流故障" in board and "4.20" in board
    # What needs doing is listed above the table: the offline pile and the faulted connector.
    alerts = await page.locator("[data-testid=board-alerts]").inner_text()
    assert "离线 1 台" in alerts and "2 号桩" in alerts and "从未连接" in alerts
    assert "故障 1 处" in alerts and "1 号桩 2 号枪 过流故障" in alerts
    assert await page.locator("tr[data-offline]").count() == 2  # both connectors of the offline pile
    await screenshot(page, "charging-board", full_page=True)

    await page.click("nav >> text=站点与充电桩")
    await page.wait_for_url("**/console/charging/piles")
    await page.click("text=登记充电桩")
    await page.select_option("select[name=site_id]", str(charging_world.site.id))
    await page.fill("input[name=box_id]", "CP-1003")
    await page.fill("input[name=name]", "3 号桩")
    await page.click("button:has-text('登记')")
    await page.wait_for_load_state()
    password = await page.locator("[data-testid=password-value]").inner_text()
    assert len(password) == 24
    assert await page.locator("[data-testid=pile-qr] img").count() == 2
    assert await page.locator("[data-testid=pile-qr] img").first.evaluate("img => img.naturalWidth") > 0
    await screenshot(page, "charging-pile-password", full_page=True)
    await page.reload()  # a reload is a GET of the pile's page: the password is not shown again
    assert await page.locator("[data-testid=pile-password]").count() == 0

    await page.click("nav >> text=公务车充电卡")
    await page.wait_for_url("**/console/charging/tags")
    await page.fill("input[name=id_tag]", "FLEET0002")
    await page.fill("input[name=plate]", "浙A00000")
    await page.click("button:has-text('登记')")
    await page.wait_for_load_state()
    assert "不是在用的新能源公务车" in await page.locator(".field-error").first.inner_text()
    await page.fill("input[name=plate]", "浙AD12345")
    await page.click("button:has-text('登记')")
    await page.wait_for_url("**?done=registered")
    assert await Tag.filter(id_tag="FLEET0002").exists()
    await screenshot(page, "charging-tags", full_page=True)

    await page.click("nav >> text=充电记录")
    await page.wait_for_url("**/console/charging/sessions")
    await screenshot(page, "charging-sessions", full_page=True)
    await page.click(f"a[href='/console/charging/sessions/{stopped.id}']")
    await page.wait_for_url(f"**/console/charging/sessions/{stopped.id}")
    assert "7.40 元" in await page.locator("[data-testid=bill]").inner_text()
    assert await page.locator("[data-testid=samples] tbody tr").count() == 3
    await screenshot(page, "charging-session", full_page=True)

    await page.click("nav >> text=电价")
    await page.wait_for_url("**/console/charging/tariffs")
    assert "执行中" in await page.locator("[data-testid=tariff-versions]").inner_text()
    await screenshot(page, "charging-tariffs", full_page=True)

    await page.click("nav >> text=远程指令")
    await page.wait_for_url("**/console/charging/commands")
    await page.select_option("select[name=pile_id]", str(charging_world.pile.id))
    await page.select_option("select[name=action]", "unlock_connector")
    await page.fill("input[name=connector_id]", "1")
    await page.click("button:has-text('发送')")
    await page.wait_for_url("**done=offline")
    assert "桩不在线" in await page.locator(".alert-warn").inner_text()
    assert await Command.filter(pile_id=charging_world.pile.id, action="unlock_connector").exists()
    await screenshot(page, "charging-commands", full_page=True)


async def test_staff_end_a_session_its_pile_never_stopped_from_its_page(browser_page, charging_world, screenshot):
    """结束并结算: the reason asked for, the browser's confirm accepted, the session ended at its
    last good reading and billed, its card number shown masked."""
    w = charging_world
    started = now() - timedelta(hours=8)
    stuck = await Session.create(
        pile=w.pile,
        connector_id=1,
        id_tag=w.card_uid,
        payer_kind=PayerKind.WALLET,
        person_id=w.cadre_id,
        tariff=w.tariff,
        meter_start_wh=1000,
        meter_last_wh=4000,
        started_at=started,
        received_at=started,
    )
    await MeterValue.create(session=stuck, at=started + timedelta(hours=1), energy_wh=4000, received_at=started)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto(f"/console/charging/sessions/{stuck.id}")
    assert "04A1****C3" in await page.locator("dl.props").first.inner_text()
    await page.fill("[data-testid=close-session] input[name=reason]", "充电桩已更换，原桩不再上报")
    await screenshot(page, "charging-session-close", full_page=True)
    asked = []

    async def accept(dialog):
        asked.append(dialog.message)
        await dialog.accept()

    page.on("dialog", accept)
    await page.click("[data-testid=close-session] button")
    await page.wait_for_url(f"**/sessions/{stuck.id}?done=closed")
    assert asked and "结束并结算" in asked[0]
    assert "已结束并结算" in await page.locator("[role=status]").inner_text()
    assert "3.00 千瓦时" in await page.content() and await page.locator("[data-testid=bill] dl").count() == 1
    assert await page.locator("[data-testid=close-session]").count() == 0
    await screenshot(page, "charging-session-closed", full_page=True)
