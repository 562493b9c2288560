"""The people desk in the console: the add, edit, move (调动) and leave (离职) forms with their
refusals at their fields, the roster's filter of who has left, and a unit's rename and 停用."""

import re

from backend.accounts.models import Person, Unit
from backend.core.models import AuditEntry
from backend.wallet.models import CashRefund, Wallet
from tests.fixtures.canteen import cardholder
from tests.helpers import console_admin, seed_units_and_roster
from tests.helpers.money import assert_books_clean

DESK = ["accounts.view_unit", "accounts.view_person", "accounts.manage_person", "accounts.manage_unit"]
LEAVER = [*DESK, "wallet.view_wallet", "wallet.refund_cash"]


def form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def new_person_form(csrf: str, **changes) -> dict:
    return {
        "csrf_token": csrf,
        "employee_no": "D0101",
        "name": "赵敏",
        "unit_code": "FGW-GHC",
        "staff_category": "contract",
        "phone": "13900000101",
        "id_card": "",
        **changes,
    }


async def test_a_person_added_in_the_form_lands_on_their_page(client, app, runtime):
    await seed_units_and_roster(runtime.cipher)
    csrf = await console_admin(client, "hr", DESK, unit_code="FGW")
    form = await client.get("/console/people/new")
    assert form.status_code == 200 and "市财政局" not in form.text and "发展规划处" in form.text
    created = await client.post("/console/people/new", data=new_person_form(csrf))
    assert created.status_code == 302 and created.headers["location"].endswith("?done=person_created")
    shown = await client.get(created.headers["location"])
    assert "人员已添加到名册" in shown.text and "赵敏" in shown.text and "139****0101" in shown.text
    assert await AuditEntry.filter(action="accounts.create_person").count() == 1


async def test_a_refused_person_form_shows_each_problem_at_its_field_with_what_was_typed(client, app, runtime):
    await seed_units_and_roster(runtime.cipher)
    csrf = await console_admin(client, "hr", DESK, unit_code="FGW")
    bad = await client.post(
        "/console/people/new", data=new_person_form(csrf, phone="12345", id_card="110105194912310021")
    )
    assert bad.status_code == 422
    assert "不是有效的 11 位手机号" in bad.text and "身份证号格式或校验位不正确" in bad.text
    assert 'value="赵敏"' in bad.text
    taken = await client.post("/console/people/new", data=new_person_form(csrf, employee_no="D0002"))
    assert taken.status_code == 422 and "工号 D0002 已登记在名册中" in taken.text
    outside = await client.post("/console/people/new", data=new_person_form(csrf, unit_code="CZJ-BGS"))
    assert outside.status_code == 422 and "该单位不在您的管理范围内" in outside.text
    assert not await Person.filter(name="赵敏").exists()


async def test_only_admins_who_manage_people_see_and_post_the_forms(client, app, runtime):
    await seed_units_and_roster(runtime.cipher)
    person = await Person.get(employee_no="D0001")
    csrf = await console_admin(client, "viewer", ["accounts.view_person"])
    page = await client.get(f"/console/people/{person.id}")
    assert page.status_code == 200 and "办理离职" not in page.text and "新增人员" not in page.text
    assert (await client.get("/console/people/new")).status_code == 403
    assert (await client.post("/console/people/new", data=new_person_form(csrf))).status_code == 403
    moved = await client.post(
        f"/console/people/{person.id}/move", data={"csrf_token": csrf, "unit_code": "CZJ-BGS", "reason": "越权调动"}
    )
    assert moved.status_code == 403 and (await Person.get(id=person.id)).unit_id == person.unit_id


async def test_an_edit_and_a_move_come_back_to_the_persons_page(client, app, runtime):
    await seed_units_and_roster(runtime.cipher)
    person = await Person.get(employee_no="D0001")
    csrf = await console_admin(client, "hr", DESK, unit_code="FGW")
    form = await client.get(f"/console/people/{person.id}/edit")
    assert 'value="13800000001"' in form.text and "调入单位" in form.text
    edited = await client.post(
        f"/console/people/{person.id}/edit",
        data={"csrf_token": csrf, "employee_no": "D0001", "name": "张伟华", "staff_category": "established"},
    )
    assert edited.headers["location"].endswith("?done=person_updated")
    entry = await AuditEntry.get(action="accounts.update_person")
    assert entry.after == {"name": "张伟华", "phone": None}
    across = await client.post(
        f"/console/people/{person.id}/move", data={"csrf_token": csrf, "unit_code": "CZJ-BGS", "reason": "调至财政局"}
    )
    assert across.status_code == 422 and "该单位不在您的管理范围内" in across.text
    moved = await client.post(
        f"/console/people/{person.id}/move", data={"csrf_token": csrf, "unit_code": "FGW-GHC", "reason": "处室调整"}
    )
    assert moved.headers["location"].endswith("?done=person_moved")
    shown = await client.get(moved.headers["location"])
    assert "调动已办理" in shown.text and "发展规划处" in shown.text


async def test_the_leave_form_asks_for_a_refund_method_only_when_there_is_cash(client, canteen):
    with_cash = await cardholder("D0001", "AA000001", cash=2_500)
    without = await cardholder("D0002", "AA000002")
    await console_admin(client, "hr", LEAVER)
    asking = await client.get(f"/console/people/{with_cash}/leave")
    assert 'name="wallet_refund_method"' in asking.text and "¥25.00" in asking.text
    quiet = await client.get(f"/console/people/{without}/leave")
    assert 'name="wallet_refund_method"' not in quiet.text and "名下 1 张卡片注销" in quiet.text


async def test_leaving_through_the_form_refunds_once_however_often_it_is_sent(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=2_500, subsidy=300)
    csrf = await console_admin(client, "hr", LEAVER)
    page = await client.get(f"/console/people/{person_id}/leave")
    form = {"csrf_token": csrf, "idempotency_key": form_key(page.text), "reason": "调出本市", "confirm": "on"}
    no_method = await client.post(f"/console/people/{person_id}/leave", data=form)
    assert no_method.status_code == 422 and "请选择退款方式" in no_method.text and 'value="调出本市"' in no_method.text
    form |= {"wallet_refund_method": "bank_transfer"}
    no_reference = await client.post(f"/console/people/{person_id}/leave", data=form)
    assert no_reference.status_code == 422 and "银行转账退款须填写转账流水号" in no_reference.text
    form |= {"wallet_refund_reference": "BOC-1"}
    first = await client.post(f"/console/people/{person_id}/leave", data=form)
    again = await client.post(f"/console/people/{person_id}/leave", data=form)
    assert first.headers["location"].endswith("?done=person_left")
    assert again.headers["location"].endswith("?done=person_left_replayed")
    shown = await client.get(first.headers["location"])
    assert "离职已办理" in shown.text and "已离职 20" in shown.text and "离职日期" in shown.text
    assert await CashRefund.all().count() == 1 and (await Wallet.get(person_id=person_id)).cash_balance == 0
    await assert_books_clean()


async def test_the_leave_form_must_be_confirmed(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    csrf = await console_admin(client, "hr", LEAVER)
    key = form_key((await client.get(f"/console/people/{person_id}/leave")).text)
    unconfirmed = await client.post(
        f"/console/people/{person_id}/leave", data={"csrf_token": csrf, "idempotency_key": key, "reason": "离职"}
    )
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    assert (await Person.get(id=person_id)).is_active


async def test_the_roster_hides_people_who_left_unless_asked(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    csrf = await console_admin(client, "hr", LEAVER)
    key = form_key((await client.get(f"/console/people/{person_id}/leave")).text)
    await client.post(
        f"/console/people/{person_id}/leave",
        data={"csrf_token": csrf, "idempotency_key": key, "reason": "退休", "confirm": "on"},
    )
    default = await client.get("/console/people")
    left = await client.get("/console/people?standing=left")
    assert "D0001" not in default.text and "D0002" in default.text
    assert "D0001" in left.text and "D0002" not in left.text
    assert "D0001" in (await client.get("/console/people?standing=all")).text


async def test_a_unit_is_renamed_and_disabled_only_once_its_people_are_moved(client, app, runtime):
    await seed_units_and_roster(runtime.cipher)
    unit = await Unit.get(code="FGW-GHC")
    csrf = await console_admin(client, "hr", DESK, unit_code="FGW")
    renamed = await client.post(f"/console/units/{unit.id}/rename", data={"csrf_token": csrf, "name": "规划处"})
    assert renamed.headers["location"].endswith("?done=unit_renamed")
    refused = await client.post(f"/console/units/{unit.id}/enabled", data={"csrf_token": csrf, "is_enabled": "0"})
    assert refused.status_code == 409 and "还有 1 名在职人员" in refused.text
    person = await Person.get(employee_no="D0002")
    await client.post(
        f"/console/people/{person.id}/move", data={"csrf_token": csrf, "unit_code": "FGW-BGS", "reason": "撤并"}
    )
    disabled = await client.post(f"/console/units/{unit.id}/enabled", data={"csrf_token": csrf, "is_enabled": "0"})
    assert disabled.headers["location"].endswith("?done=unit_disabled")
    units = await client.get("/console/units")
    assert "规划处" in units.text and "已停用" in units.text
    assert "规划处" not in (await client.get("/console/people/new")).text
    outside = await Unit.get(code="CZJ")
    assert (await client.get(f"/console/units/{outside.id}")).status_code == 403


async def test_a_person_with_cash_leaves_only_through_an_admin_who_may_refund(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=100)
    csrf = await console_admin(client, "hr", DESK)
    page = await client.get(f"/console/people/{person_id}/leave")
    assert "现金退款」权限" in page.text and 'data-testid="leave-form"' not in page.text
    forced = await client.post(
        f"/console/people/{person_id}/leave",
        data={
            "csrf_token": csrf,
            "idempotency_key": "k" * 20,
            "reason": "离职",
            "confirm": "on",
            "wallet_refund_method": "cash",
        },
    )
    assert forced.status_code == 422 and (await Person.get(id=person_id)).is_active
    assert (await Wallet.get(person_id=person_id)).cash_balance == 100
