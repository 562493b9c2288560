"""Energy's budget page and charts in a real browser, on the demo data: the dashboard card counts
the units over 80 %; 用能预算 draws each unit's bar by kind with its state, the commission near
its budget; its budget page takes an adjustment with a reason and shows it in the history; 指标与
趋势 draws twelve months of use and the units ranked, per person too. Screenshots for a person."""

from __future__ import annotations

from backend.demo import create_superadmin, seed
from backend.energy.models import Budget, BudgetChange, MeterKind
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_the_energy_office_reads_the_budgets_adjusts_one_and_reads_the_charts(browser_page, runtime, screenshot):
    await seed(runtime, if_empty=False)
    await create_superadmin("root", "超级管理员", PASSWORD)
    fgw = await Budget.get(unit__code="FGW", kind=MeterKind.ELECTRICITY)
    page = browser_page
    await log_in(page, "root")

    assert int(await page.inner_text("[data-testid=energy-over]")) >= 1
    await screenshot(page, "energy-dashboard", full_page=True)

    await page.click("nav >> text=用能预算")
    bar = page.locator(f"[data-testid=bar-{fgw.id}]")
    percent = int(await bar.get_attribute("aria-valuenow"))
    assert 80 <= percent < 100
    width = await bar.evaluate(
        "b => b.firstElementChild.getBoundingClientRect().width / b.getBoundingClientRect().width"
    )
    assert abs(width * 100 - percent) < 2  # the bar is drawn as long as the share used
    row = await page.inner_text("tr[data-unit='市发展和改革委员会']")
    assert f"{percent}%" in row and "已用 80%" in row
    assert int(await page.inner_text("[data-testid=budget-warned]")) >= 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "energy-budgets", full_page=True)

    await page.click(f"[data-testid=budget-{fgw.id}]")
    await page.fill("[data-testid=adjust-form] input[name=delta]", "150")
    await page.fill("[data-testid=adjust-form] input[name=reason]", "新增在编人员 1 名")
    await page.click("[data-testid=adjust-form] button[type=submit]")
    await page.wait_for_url("**done=adjusted**")
    assert "预算已调整" in await page.inner_text("[role=status]")
    assert "新增在编人员 1 名" in await page.inner_text("[data-testid=changes]")
    assert (await BudgetChange.get(budget_id=fgw.id)).delta_milli == 150_000
    await screenshot(page, "energy-budget-adjusted", full_page=True)

    await page.click("nav >> text=指标与趋势")
    assert await page.locator("[data-testid=trend-chart] rect.bar").count() == 12
    assert await page.locator("[data-testid=ranking-chart] rect.bar").count() >= 2
    assert "单位建筑面积能耗" in await page.inner_text("[data-testid=indicators]")
    await _no_horizontal_overflow(page)
    await screenshot(page, "energy-indicators", full_page=True)

    await page.select_option("select[name=kind]", "electricity")
    await page.click("form:has(select[name=year]) button[type=submit]")
    await page.select_option("select[name=per]", "person")
    await page.click("form:has(select[name=per]) button[type=submit]")
    await page.wait_for_url("**per=person**")
    heights = await page.locator("[data-testid=trend-chart] rect.bar").evaluate_all(
        "bars => bars.map(b => parseFloat(b.getAttribute('height')))"
    )
    assert len(heights) == 12 and sum(h > 0 for h in heights) >= 11  # a year of use, month by month
    assert "人均" in await page.inner_text("[data-testid=ranking]")
    await screenshot(page, "energy-indicators-electricity", full_page=True)
