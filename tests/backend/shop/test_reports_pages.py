"""The shop's report pages and API: the purchase list, sales and settlement pages show the paid
orders' figures with their charts and export Excel files that open; the settlement form records
a settlement (and says why not, at the amount); a viewer sees no form and is refused the post;
the admin API answers the same figures and settles once per Idempotency-Key."""

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from backend.core.timeutil import today
from backend.shop.models import OrderState, Settlement
from tests.fixtures.shop import make_order
from tests.helpers import admin_token, bearer, console_admin
from tests.helpers.shop_money import line_of, pay, refund

VIEW = ["shop.view_report"]
SETTLE = ["shop.view_report", "shop.settle_supplier"]
PARTNER = "阿克苏红旗坡果业合作社"


async def _paid(world):
    """Apples 3 boxes (one refunded) and a tea, paid today."""
    order = await make_order(world, [(world.apple, 3), (world.tea, 1)])
    await pay(order, state=OrderState.READY)
    await refund(order, await line_of(order, world.apple.id), 1)
    return order


def _sheets(content: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(content))
    return {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


async def test_the_purchase_list_page_shows_each_supplier_and_exports_it(client, shop_world):
    await _paid(shop_world)
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    await console_admin(client, "shop_viewer", VIEW)
    page = await client.get("/console/shop/reports/purchase")
    assert page.status_code == 200, page.text
    assert f"取货日 {day.isoformat()}" in page.text  # the next pickup day with goods to prepare
    assert page.text.count('data-testid="purchase-supplier"') == 2
    assert "阿克苏冰糖心苹果" in page.text and "径山茶" in page.text
    only = await client.get(f"/console/shop/reports/purchase?day={day.isoformat()}&supplier={shop_world.partner.id}")
    assert only.text.count('data-testid="purchase-supplier"') == 1 and "250 g" not in only.text
    sheets = _sheets((await client.get(f"/console/shop/reports/purchase.xlsx?day={day.isoformat()}")).content)
    assert list(sheets) == ["余杭径山茶农合作社", PARTNER]
    assert ["阿克苏冰糖心苹果", "一箱 5 kg", 2, 1] in sheets[PARTNER]


async def test_the_sales_page_draws_regions_and_theme_weeks(client, shop_world):
    await _paid(shop_world)
    await console_admin(client, "shop_viewer", VIEW)
    page = await client.get("/console/shop/reports/sales")
    assert page.status_code == 200, page.text
    assert 'data-testid="regions-chart"' in page.text and 'data-testid="cycles-chart"' in page.text
    assert 'class="bar"' in page.text and "新疆阿克苏地区" in page.text and "阿克苏周" in page.text
    assert 'data-testid="sales-net">¥256.00<' in page.text  # 3 × 68 + 120 − 68
    sheets = _sheets((await client.get("/console/shop/reports/sales.xlsx")).content)
    assert list(sheets) == ["按产地", "按主题周"]


async def test_a_viewer_sees_the_settlement_report_without_the_form_and_cannot_post(client, shop_world):
    await _paid(shop_world)
    csrf = await console_admin(client, "shop_viewer", VIEW)
    page = await client.get("/console/shop/reports/settlements")
    assert page.status_code == 200, page.text
    assert 'data-testid="settlement-chart"' in page.text and 'data-testid="owed-total">¥256.00<' in page.text
    assert 'id="settle-form"' not in page.text
    refused = await client.post(
        "/console/shop/reports/settlements",
        data={"csrf_token": csrf, "supplier_id": shop_world.partner.id, "amount_fen": "10", "key": "form-key-0001"},
    )
    assert refused.status_code == 403 and await Settlement.all().count() == 0
    sheets = _sheets((await client.get("/console/shop/reports/settlements.xlsx")).content)
    partner = next(r for r in sheets["供货方结算"] if r[0] == PARTNER)
    assert [float(v) for v in partner[2:]] == [204.0, 68.0, 0.0, 136.0, 0.0, 136.0]


async def test_the_settlement_form_records_a_settlement_and_says_why_not(client, shop_world):
    await _paid(shop_world)
    csrf = await console_admin(client, "shop_finance", SETTLE)
    offered = await client.get(f"/console/shop/reports/settlements?supplier={shop_world.partner.id}")
    assert 'id="settle-form"' in offered.text and 'value="136.00"' in offered.text  # what is owed
    form = {
        "csrf_token": csrf,
        "supplier_id": str(shop_world.partner.id),
        "period_start": today().replace(day=1).isoformat(),
        "period_end": today().isoformat(),
        "reference": "工行转账 001",
    }
    over = await client.post(
        "/console/shop/reports/settlements", data={**form, "amount_fen": "136.01", "key": "form-key-0001"}
    )
    assert over.status_code == 422 and "应付未结 136.00 元" in over.text and "has-error" in over.text
    done = await client.post(
        "/console/shop/reports/settlements", data={**form, "amount_fen": "100", "key": "form-key-0002"}
    )
    assert done.status_code == 302 and "done=settled" in done.headers["location"]
    again = await client.post(
        "/console/shop/reports/settlements", data={**form, "amount_fen": "100", "key": "form-key-0002"}
    )
    assert again.status_code == 302 and await Settlement.all().count() == 1
    page = await client.get(done.headers["location"])
    assert "结算已登记" in page.text and 'data-testid="settlement-history"' in page.text and "工行转账 001" in page.text
    history = _sheets((await client.get("/console/shop/reports/settlements/history.xlsx")).content)["结算记录"]
    assert history[1][:4] == [PARTNER, form["period_start"], form["period_end"], 100]


async def test_the_admin_api_answers_the_reports_and_settles_once_per_key(client, shop_world):
    await _paid(shop_world)
    headers = bearer(await admin_token(client, "api_finance", SETTLE))
    day = shop_world.cycle.pickup_days[0]
    listed = (await client.get(f"/admin/v1/shop/reports/purchase-list?day={day}", headers=headers)).json()
    assert [(s["supplier"], s["total_quantity"]) for s in listed["suppliers"]] == [
        ("余杭径山茶农合作社", 1),
        (PARTNER, 2),
    ]
    xlsx = await client.get(f"/admin/v1/shop/reports/purchase-list.xlsx?day={day}", headers=headers)
    assert xlsx.status_code == 200 and list(_sheets(xlsx.content)) == ["余杭径山茶农合作社", PARTNER]
    report = (await client.get("/admin/v1/shop/reports/settlement", headers=headers)).json()
    assert {s["supplier"]: s["owed_fen"] for s in report["suppliers"]} == {"余杭径山茶农合作社": 12000, PARTNER: 13600}
    sales = (await client.get("/admin/v1/shop/reports/sales", headers=headers)).json()
    assert sales["total"]["net_fen"] == 25600 and [c["name"] for c in sales["cycles"]] == ["阿克苏周"]
    reversed_range = await client.get(
        f"/admin/v1/shop/reports/sales?since={today().isoformat()}&until={(today() - timedelta(days=1)).isoformat()}",
        headers=headers,
    )
    assert reversed_range.status_code == 422 and reversed_range.json()["error"]["code"] == "shop.report_range_invalid"
    body = {
        "supplier_id": shop_world.local.id,
        "period_start": today().isoformat(),
        "period_end": today().isoformat(),
        "amount_fen": 12000,
    }
    first = await client.post(
        "/admin/v1/shop/settlements", json=body, headers={**headers, "Idempotency-Key": "api-key-0001"}
    )
    assert first.status_code == 201, first.text
    again = await client.post(
        "/admin/v1/shop/settlements", json=body, headers={**headers, "Idempotency-Key": "api-key-0001"}
    )
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"] and again.json()["replayed"]
    over = await client.post(
        "/admin/v1/shop/settlements", json=body, headers={**headers, "Idempotency-Key": "api-key-0002"}
    )
    assert over.status_code == 409 and over.json()["error"]["code"] == "shop.settlement_over_owed"
    keyless = await client.post("/admin/v1/shop/settlements", json=body, headers=headers)
    assert keyless.status_code == 422
    history = (await client.get("/admin/v1/shop/settlements", headers=headers)).json()
    assert history["total"] == 1 and history["items"][0]["amount_fen"] == 12000


async def test_a_viewer_is_refused_a_settlement_through_the_api(client, shop_world):
    await _paid(shop_world)
    headers = bearer(await admin_token(client, "api_viewer", VIEW))
    body = {
        "supplier_id": shop_world.local.id,
        "period_start": today().isoformat(),
        "period_end": today().isoformat(),
        "amount_fen": 100,
    }
    refused = await client.post(
        "/admin/v1/shop/settlements", json=body, headers={**headers, "Idempotency-Key": "api-key-0003"}
    )
    assert refused.status_code == 403 and await Settlement.all().count() == 0
    assert (await client.get("/admin/v1/shop/reports/settlement")).status_code == 401
