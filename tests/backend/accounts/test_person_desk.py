"""The people desk's services: adding one person checked as a roster row is, editing with an
audit of what changed, moving (调动) within the admin's reach, leaving (离职) with every module's
part settled in one transaction, and units renamed and disabled (停用)."""

import pytest

from backend.accounts.models import Person, Unit
from backend.accounts.service import leaving, personnel
from backend.accounts.service import people as service
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.wallet.models import Card, CardState, CashRefund, TopUpOrder, TopUpStatus, Wallet
from backend.wallet.service import subsidy, wallets
from tests.fixtures.canteen import cardholder
from tests.helpers import seed_units_and_roster
from tests.helpers.money import assert_books_clean

FGW = Scope.units(["/SJGSW/FGW/"])


def everything(_permission) -> Scope:
    return Scope.EVERYTHING


def nothing(_permission) -> Scope:
    return Scope.NOTHING


def new_person(**changes):
    fields = {
        "employee_no": "D0101",
        "name": "赵敏",
        "unit_code": "FGW-GHC",
        "staff_category": service.StaffCategory.CONTRACT,
        "phone": "13900000101",
        "id_card": "11010519491231002X",
    }
    return {**fields, **changes}


async def refused(call) -> AppError:
    with pytest.raises(AppError) as caught:
        await call
    return caught.value


@pytest.fixture
async def roster(app, runtime):
    await seed_units_and_roster(runtime.cipher)


async def test_a_person_added_by_hand_is_stored_encrypted_and_audited(roster, runtime):
    view = await personnel.create_person(CLI_ACTOR, runtime.cipher, FGW, **new_person())
    person = await Person.get(id=view["id"])
    assert person.phone_encrypted and "13900000101" not in person.phone_encrypted
    assert runtime.cipher.decrypt(person.id_card_encrypted, context=service.ID_CARD_CONTEXT) == "11010519491231002X"
    assert view["phone"] == "139****0101" and view["unit"]["code"] == "FGW-GHC"
    entry = await AuditEntry.get(action="accounts.create_person")
    assert entry.object_id == str(person.id) and entry.after["name"] == "赵敏"
    assert "13900000101" not in str(entry.after)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"employee_no": "D0001"}, "accounts.employee_no_taken"),
        ({"phone": "13800000003"}, "accounts.phone_taken"),
        ({"unit_code": "CZJ-BGS"}, "accounts.unit_out_of_scope"),
        ({"unit_code": "NOPE"}, "accounts.unit_not_found"),
    ],
)
async def test_a_person_is_refused_as_a_roster_row_would_be(roster, runtime, changes, code):
    error = await refused(personnel.create_person(CLI_ACTOR, runtime.cipher, FGW, **new_person(**changes)))
    assert error.code == code
    assert not await Person.filter(employee_no=new_person(**changes)["employee_no"], name="赵敏").exists()


async def test_whose_phone_it_is_is_told_only_within_the_admins_reach(roster, runtime):
    outside = await refused(personnel.create_person(CLI_ACTOR, runtime.cipher, FGW, **new_person(phone="13800000003")))
    inside = await refused(personnel.create_person(CLI_ACTOR, runtime.cipher, FGW, **new_person(phone="13800000002")))
    assert outside.message == "该手机号已被其他人员登记"
    assert inside.message == "该手机号已登记在工号 D0002 名下"


async def test_an_edit_records_only_the_fields_that_changed(roster, runtime):
    person = await Person.get(employee_no="D0001")
    result = await personnel.update_person(
        CLI_ACTOR,
        runtime.cipher,
        FGW,
        person.id,
        employee_no="D0001",
        name="张伟",
        staff_category=service.StaffCategory.CONTRACT,
        phone="13800000099",
        id_card=None,
    )
    assert result["changed"] == ["staff_category", "phone"]
    entry = await AuditEntry.get(action="accounts.update_person")
    assert entry.before == {"staff_category": "在编", "phone": "138****0001"}
    assert entry.after == {"staff_category": "聘用", "phone": "138****0099"}
    same = await personnel.update_person(
        CLI_ACTOR,
        runtime.cipher,
        FGW,
        person.id,
        employee_no="D0001",
        name="张伟",
        staff_category=service.StaffCategory.CONTRACT,
        phone="13800000099",
        id_card=None,
    )
    assert same["changed"] == [] and await AuditEntry.filter(action="accounts.update_person").count() == 1


async def test_an_edit_cannot_take_another_persons_employee_number_or_reach_outside(roster, runtime):
    person = await Person.get(employee_no="D0001")
    fields = {"name": "张伟", "staff_category": service.StaffCategory.ESTABLISHED, "phone": None, "id_card": None}
    taken = await refused(
        personnel.update_person(CLI_ACTOR, runtime.cipher, FGW, person.id, employee_no="D0002", **fields)
    )
    assert taken.code == "accounts.employee_no_taken"
    outsider = await Person.get(employee_no="D0003")
    out = await refused(
        personnel.update_person(CLI_ACTOR, runtime.cipher, FGW, outsider.id, employee_no="D0003", **fields)
    )
    assert out.code == "auth.out_of_scope"
    assert (await Person.get(id=person.id)).employee_no == "D0001"


async def test_a_move_needs_both_units_within_reach_and_keeps_the_wallet_and_cards(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    across = await refused(personnel.move_person(CLI_ACTOR, FGW, person_id, "CZJ-BGS", "调至财政局"))
    assert across.code == "accounts.unit_out_of_scope"
    same = await refused(personnel.move_person(CLI_ACTOR, FGW, person_id, "FGW-BGS", "原地调动"))
    assert same.code == "accounts.move_to_same_unit"
    outsider = await Person.get(employee_no="D0003")
    inward = await refused(personnel.move_person(CLI_ACTOR, FGW, outsider.id, "FGW-BGS", "调入"))
    assert inward.code == "auth.out_of_scope"

    moved = await personnel.move_person(CLI_ACTOR, FGW, person_id, "FGW-GHC", "根据调令调至发展规划处")
    assert moved["unit"]["code"] == "FGW-GHC"
    entry = await AuditEntry.get(action="accounts.move_person")
    assert entry.before["unit"]["code"] == "FGW-BGS" and entry.after["reason"] == "根据调令调至发展规划处"
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 1_000
    assert [c["state"] for c in await wallets.list_cards(person_id)] == ["active"]


async def test_leaving_with_cash_needs_a_refund_method_then_closes_the_wallet(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001", cash=3_000, subsidy=500)
    await Person.filter(id=person_id).update(wechat_openid="openid-d0001")
    [wallet_part] = await leaving.preview_leaving(FGW, person_id, everything)
    assert [f.name for f in wallet_part.fields] == ["wallet_refund_method", "wallet_refund_reference"]
    assert "¥30.00" in wallet_part.lines[0] and not wallet_part.blocker

    missing = await refused(leaving.leave_person(CLI_ACTOR, FGW, person_id, "调出本市", {}, "leave-0001", everything))
    assert missing.details["fields"][0]["field"] == "wallet_refund_method"
    assert (await Person.get(id=person_id)).is_active and await CashRefund.all().count() == 0

    answers = {"wallet_refund_method": "bank_transfer", "wallet_refund_reference": "BOC-9"}
    done = await leaving.leave_person(CLI_ACTOR, FGW, person_id, "调出本市", answers, "leave-0002", everything)
    assert done["replayed"] is False and done["left_at"]
    person = await Person.get(id=person_id)
    assert (person.is_active, person.wechat_openid, person.wechat_bound_at) == (False, None, None)
    refund = await CashRefund.get()
    assert (refund.amount_fen, refund.subsidy_forfeited_fen, refund.closes_wallet) == (3_000, 500, True)
    assert (refund.method.value, refund.payout_reference, refund.reason) == ("bank_transfer", "BOC-9", "调出本市")
    assert (await Wallet.get(person_id=person_id)).closed_at is not None
    assert await Card.filter(person_id=person_id, state=CardState.CANCELLED).count() == 1
    entry = await AuditEntry.get(action="accounts.leave_person")
    assert entry.before["wechat_bound"] is True and entry.after["settled"]["wallet"][0].startswith("一卡通销户")
    await assert_books_clean()


async def test_the_same_leave_form_twice_acts_once_and_another_form_is_refused(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001", cash=3_000)
    answers = {"wallet_refund_method": "cash"}
    first = await leaving.leave_person(CLI_ACTOR, FGW, person_id, "退休", answers, "leave-0003", everything)
    again = await leaving.leave_person(CLI_ACTOR, FGW, person_id, "退休", answers, "leave-0003", everything)
    assert (first["replayed"], again["replayed"]) == (False, True) and again["left_at"] == first["left_at"]
    other = await refused(leaving.leave_person(CLI_ACTOR, FGW, person_id, "退休", answers, "leave-0004", everything))
    assert other.code == "accounts.person_left"
    someone_else = await Person.get(employee_no="D0002")
    reused = await refused(
        leaving.leave_person(CLI_ACTOR, FGW, someone_else.id, "退休", answers, "leave-0003", everything)
    )
    assert reused.code == "accounts.leave_key_used_elsewhere" and (await Person.get(id=someone_else.id)).is_active
    assert await CashRefund.all().count() == 1
    await assert_books_clean()


async def test_leaving_with_nothing_on_the_wallet_just_cancels_the_cards(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001")
    [wallet_part] = await leaving.preview_leaving(FGW, person_id, nothing)
    assert wallet_part.fields == [] and wallet_part.lines == ["名下 1 张卡片注销"] and not wallet_part.blocker
    await leaving.leave_person(CLI_ACTOR, FGW, person_id, "合同到期", {}, "leave-0005", nothing)
    assert await Card.filter(person_id=person_id, state=CardState.CANCELLED).count() == 1
    assert await CashRefund.all().count() == 0 and (await Wallet.get(person_id=person_id)).closed_at is None
    assert await AuditEntry.filter(action="wallet.card_cancelled").count() == 1


async def test_cash_is_paid_out_on_leaving_only_by_an_admin_who_may_refund(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001", cash=100)
    [wallet_part] = await leaving.preview_leaving(FGW, person_id, nothing)
    assert "现金退款" in wallet_part.blocker
    error = await refused(
        leaving.leave_person(CLI_ACTOR, FGW, person_id, "调离", {"wallet_refund_method": "cash"}, "leave-06", nothing)
    )
    assert error.code == "wallet.leave_refund_not_permitted" and (await Person.get(id=person_id)).is_active


async def test_a_pending_top_up_stops_the_leaving_and_changes_nothing(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001", cash=100)
    await TopUpOrder.create(out_trade_no="TU0001", person_id=person_id, amount_fen=5_000, status=TopUpStatus.PENDING)
    [wallet_part] = await leaving.preview_leaving(FGW, person_id, everything)
    assert "未到账" in wallet_part.blocker
    error = await refused(
        leaving.leave_person(
            CLI_ACTOR, FGW, person_id, "调离", {"wallet_refund_method": "cash"}, "leave-07", everything
        )
    )
    assert error.code == "wallet.close_pending_topup"
    assert (await Person.get(id=person_id)).is_active and (await Wallet.get(person_id=person_id)).cash_balance == 100
    assert await Card.filter(person_id=person_id, state=CardState.ACTIVE).count() == 1


async def test_a_person_who_left_gets_no_new_card_and_leaves_the_default_roster(client, canteen, runtime):
    person_id = await cardholder("D0001", "AA000001")
    await leaving.leave_person(CLI_ACTOR, FGW, person_id, "离职", {}, "leave-0008", everything)
    error = await refused(wallets.issue_card(CLI_ACTOR, person_id, "AA000002"))
    assert error.code == "wallet.person_left"
    active = await (await service.people_query(FGW)).values_list("employee_no", flat=True)
    left = await (await service.people_query(FGW, standing=service.Standing.LEFT)).values_list("employee_no", flat=True)
    assert "D0001" not in active and list(left) == ["D0001"]
    moved = await refused(personnel.move_person(CLI_ACTOR, FGW, person_id, "FGW-GHC", "调动"))
    assert moved.code == "accounts.person_left"


async def test_a_unit_is_renamed_with_its_code_kept(roster, runtime):
    unit = await Unit.get(code="FGW-GHC")
    await service.rename_unit(CLI_ACTOR, FGW, unit.id, "发展规划与改革处")
    assert (await Unit.get(id=unit.id)).name == "发展规划与改革处"
    entry = await AuditEntry.get(action="accounts.rename_unit")
    assert (entry.before, entry.after) == ({"name": "发展规划处"}, {"name": "发展规划与改革处"})
    outside = await Unit.get(code="CZJ")
    assert (await refused(service.rename_unit(CLI_ACTOR, FGW, outside.id, "改名"))).code == "auth.out_of_scope"


async def test_a_unit_with_active_people_or_enabled_sub_units_is_not_disabled(roster, runtime):
    office = await Unit.get(code="FGW-GHC")
    busy = await refused(service.set_unit_enabled(CLI_ACTOR, FGW, office.id, False))
    assert busy.code == "accounts.unit_has_active_people" and "1 名在职人员" in busy.message
    parent = await Unit.get(code="FGW")
    assert (await refused(service.set_unit_enabled(CLI_ACTOR, Scope.EVERYTHING, parent.id, False))).code == (
        "accounts.unit_has_enabled_children"
    )
    assert (await Unit.get(id=office.id)).is_enabled


async def test_a_disabled_unit_takes_no_new_people_no_subsidy_rule_and_leaves_the_pickers(roster, runtime):
    office = await Unit.get(code="FGW-GHC")
    person = await Person.get(employee_no="D0002")
    await personnel.move_person(CLI_ACTOR, FGW, person.id, "FGW-BGS", "处室撤并")
    await service.set_unit_enabled(CLI_ACTOR, FGW, office.id, False)
    assert await AuditEntry.filter(action="accounts.set_unit_enabled").count() == 1
    picked = [u["code"] for u in await service.list_units(FGW, enabled_only=True)]
    assert "FGW-GHC" not in picked and "FGW-BGS" in picked
    added = await refused(personnel.create_person(CLI_ACTOR, runtime.cipher, FGW, **new_person()))
    assert added.code == "accounts.unit_disabled"
    back = await refused(personnel.move_person(CLI_ACTOR, FGW, person.id, "FGW-GHC", "调回"))
    assert back.code == "accounts.unit_disabled"
    rule = await refused(subsidy.set_rule(CLI_ACTOR, "FGW-GHC", service.StaffCategory.ESTABLISHED, 500, True))
    assert rule.code == "wallet.subsidy_unit_disabled"
    report = await refused(
        service.import_roster(
            CLI_ACTOR,
            runtime.cipher,
            FGW,
            "r.csv",
            "工号,姓名,单位编码,人员类别,手机号\nD0201,钱多,FGW-GHC,在编,\n".encode(),
            dry_run=True,
        )
    )
    assert "已停用" in report.details["problems"][0]["message"]

    # enabling it again, under an enabled parent, lets people in again
    await service.set_unit_enabled(CLI_ACTOR, FGW, office.id, True)
    await personnel.move_person(CLI_ACTOR, FGW, person.id, "FGW-GHC", "调回")


async def test_a_unit_under_a_disabled_parent_cannot_be_enabled(roster, runtime):
    for code in ("FGW-BGS", "FGW-GHC", "FGW"):
        for person in await Person.filter(unit__code=code):
            await personnel.move_person(CLI_ACTOR, Scope.EVERYTHING, person.id, "CZJ-BGS", "撤并")
        await service.set_unit_enabled(CLI_ACTOR, Scope.EVERYTHING, (await Unit.get(code=code)).id, False)
    child = await Unit.get(code="FGW-GHC")
    error = await refused(service.set_unit_enabled(CLI_ACTOR, Scope.EVERYTHING, child.id, True))
    assert error.code == "accounts.parent_unit_disabled" and "市发展和改革委员会" in error.message
