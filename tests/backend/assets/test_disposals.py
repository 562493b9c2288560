"""Disposals: an officer of the asset's unit asks, the asset is 待处置 through the approval, a
refusal or a withdrawal gives it back its status, an approval waits for the record that makes it
已处置; an asset in the 公物仓, out on loan or already being disposed of cannot be asked for; and
no other unit's approver can decide."""

import pytest

from backend.approvals import service as approvals
from backend.assets.models import (
    Asset,
    AssetMove,
    AssetStatus,
    Disposal,
    DisposalMethod,
    DisposalState,
    MoveReason,
)
from backend.assets.service import disposals, notices
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.notices.models import Notice
from tests.helpers.assets_approvals import approved_loan, bureau_decides, chain_decides, leader_decides

STAFF = Actor(admin_id=None, name="公物仓管理员")


async def _ask(world, asset="desk", method=DisposalMethod.SCRAP, person="D0002", ref="disp-00001") -> dict:
    found, created = await disposals.request_disposal(
        world.people[person], ref, world.assets[asset].asset_no, method, "使用超过十五年，桌腿断裂无法修复", now()
    )
    assert created
    return found


async def _status(world, name: str) -> AssetStatus:
    return (await Asset.get(id=world.assets[name].id)).status


async def test_a_request_makes_the_asset_pending_disposal_and_keeps_its_prior_status(assets_world):
    found = await _ask(assets_world)
    assert found["state"] == DisposalState.PENDING.value and found["disposal_no"].startswith("CZ")
    assert await _status(assets_world, "desk") is AssetStatus.PENDING_DISPOSAL
    stored = await Disposal.get(id=found["id"])
    assert stored.prior_status is AssetStatus.IN_USE and stored.unit_id == assets_world.units["FGW-BGS"]
    assert await AssetMove.filter(asset_id=assets_world.assets["desk"].id, reason=MoveReason.DISPOSAL).count() == 1


async def test_an_asset_already_pending_cannot_be_asked_for_again(assets_world):
    await _ask(assets_world)
    with pytest.raises(AppError) as refused:
        await _ask(assets_world, ref="disp-00002")
    assert refused.value.code == "assets.not_disposable"
    assert await Disposal.all().count() == 1


async def test_the_same_client_ref_files_one_disposal(assets_world):
    first = await _ask(assets_world)
    again, created = await disposals.request_disposal(
        assets_world.people["D0002"],
        "disp-00001",
        assets_world.assets["desk"].asset_no,
        DisposalMethod.SCRAP,
        "重复提交",
        now(),
    )
    assert not created and again["id"] == first["id"]


async def test_an_asset_in_the_warehouse_cannot_be_asked_for(assets_world):
    with pytest.raises(AppError) as refused:
        await _ask(assets_world, asset="table")
    assert refused.value.code == "assets.not_disposable"
    assert await _status(assets_world, "table") is AssetStatus.IN_WAREHOUSE


async def test_a_warehouse_item_out_on_loan_cannot_be_asked_for(assets_world):
    await approved_loan(assets_world, "loan-000001", due_in_days=5)
    assert await _status(assets_world, "table") is AssetStatus.IN_USE
    with pytest.raises(AppError) as refused:
        await _ask(assets_world, asset="table")
    assert refused.value.code == "assets.asset_on_loan"


async def test_only_an_officer_of_the_assets_unit_may_ask(assets_world):
    with pytest.raises(AppError) as refused:
        await _ask(assets_world, person="D0003")
    assert refused.value.code == "assets.not_asset_officer"
    with pytest.raises(AppError) as refused:
        await disposals.request_disposal(
            assets_world.people["D0002"],
            "disp-short",
            assets_world.assets["desk"].asset_no,
            DisposalMethod.SCRAP,
            " ",
            now(),
        )
    assert refused.value.code == "assets.disposal_reason_required"
    assert await _status(assets_world, "desk") is AssetStatus.IN_USE


async def test_a_refused_disposal_gives_the_asset_back_its_status(assets_world):
    await Asset.filter(id=assets_world.assets["desk"].id).update(status=AssetStatus.IDLE)
    found = await _ask(assets_world)
    await chain_decides(assets_world, found, approve=False)
    assert (await Disposal.get(id=found["id"])).state is DisposalState.REFUSED
    assert await _status(assets_world, "desk") is AssetStatus.IDLE
    assert await Notice.filter(template="assets.disposal", subject_id=found["id"]).exists()


async def test_a_withdrawn_disposal_gives_the_asset_back_and_cannot_be_approved(assets_world):
    found = await _ask(assets_world)
    withdrawn = await disposals.cancel(assets_world.people["D0002"], found["id"], now())
    assert withdrawn["state"] == DisposalState.CANCELLED.value
    assert await _status(assets_world, "desk") is AssetStatus.IN_USE
    with pytest.raises(AppError) as refused:
        await chain_decides(assets_world, found, approve=True)
    assert refused.value.code == "approvals.cancelled"


async def test_another_units_approver_cannot_decide_a_disposal(assets_world):
    found = await _ask(assets_world)
    with pytest.raises(AppError) as refused:
        await leader_decides(assets_world, found, approver="D0004", unit="CZJ")
    assert refused.value.code == "approvals.not_approver"
    assert (await Disposal.get(id=found["id"])).state is DisposalState.PENDING


async def test_the_record_cannot_be_made_before_approval(assets_world):
    found = await _ask(assets_world)
    with pytest.raises(AppError) as refused:
        await disposals.record_done(STAFF, found["id"], "", None, "市财资〔2026〕12号", now())
    assert refused.value.code == "assets.disposal_state"


async def test_an_approved_disposal_waits_for_its_record_which_makes_the_asset_disposed(assets_world):
    found = await _ask(assets_world, method=DisposalMethod.AUCTION)
    await chain_decides(assets_world, found, approve=True)
    assert (await Disposal.get(id=found["id"])).state is DisposalState.APPROVED
    assert await _status(assets_world, "desk") is AssetStatus.PENDING_DISPOSAL

    for recipient, proceeds, document, code in (
        ("拍卖行", None, "市财资〔2026〕12号", "assets.disposal_proceeds_invalid"),
        ("拍卖行", -1, "市财资〔2026〕12号", "assets.disposal_proceeds_invalid"),
        ("拍卖行", 12000, " ", "assets.disposal_document_required"),
    ):
        with pytest.raises(AppError) as refused:
            await disposals.record_done(STAFF, found["id"], recipient, proceeds, document, now())
        assert refused.value.code == code

    done = await disposals.record_done(STAFF, found["id"], "市公共资源交易中心", 12000, "市财资〔2026〕12号", now())
    assert done["state"] == DisposalState.DONE.value and done["proceeds_fen"] == 12000
    desk = await Asset.get(id=assets_world.assets["desk"].id)
    assert desk.status is AssetStatus.DISPOSED and desk.disposed_at is not None
    assert await AuditEntry.filter(action="assets.record_disposal", object_id=str(found["id"])).exists()
    with pytest.raises(AppError) as refused:
        await disposals.record_done(STAFF, found["id"], "", 12000, "市财资〔2026〕12号", now())
    assert refused.value.code == "assets.disposal_state"


async def test_a_donation_names_its_recipient_and_has_no_proceeds(assets_world):
    found = await _ask(assets_world, method=DisposalMethod.DONATE)
    await chain_decides(assets_world, found, approve=True)
    with pytest.raises(AppError) as refused:
        await disposals.record_done(STAFF, found["id"], "", None, "捐赠协议 2026-3", now())
    assert refused.value.code == "assets.disposal_recipient_required"
    with pytest.raises(AppError) as refused:
        await disposals.record_done(STAFF, found["id"], "某乡中心小学", 100, "捐赠协议 2026-3", now())
    assert refused.value.code == "assets.disposal_proceeds_invalid"
    done = await disposals.record_done(STAFF, found["id"], "某乡中心小学", None, "捐赠协议 2026-3", now())
    assert done["recipient"] == "某乡中心小学" and done["proceeds_fen"] is None


async def test_with_no_flow_set_up_a_disposal_waits_for_the_bureau_after_the_units_leader(assets_world):
    disposal = await _ask(assets_world)
    await leader_decides(assets_world, disposal)
    assert (await Disposal.get(id=disposal["id"])).state is DisposalState.PENDING
    await bureau_decides(assets_world, disposal["approval"]["id"])
    assert (await Disposal.get(id=disposal["id"])).state is DisposalState.APPROVED


async def test_a_client_ref_reused_for_another_asset_is_refused_not_answered_with_the_first(assets_world):
    first = await _ask(assets_world)
    with pytest.raises(AppError) as reused:
        await _ask(assets_world, asset="pc")
    assert (reused.value.code, reused.value.status) == ("assets.client_ref_reused", 409)
    assert first["disposal_no"] in reused.value.message
    assert await _status(assets_world, "pc") is AssetStatus.IN_USE
    with pytest.raises(AppError) as other_method:
        await _ask(assets_world, method=DisposalMethod.AUCTION)
    assert other_method.value.code == "assets.client_ref_reused"


async def test_a_page_of_disposals_reads_the_approvals_at_once_not_one_per_row(assets_world, monkeypatch):
    await _ask(assets_world)

    async def one_by_one(*args, **kwargs):
        raise AssertionError("an approval read per row")

    monkeypatch.setattr(approvals, "of_subject", one_by_one)
    listed = await disposals.listing(1, 20)
    assert listed["items"][0]["approval"]["steps"][1]["title"] == "主管部门审批"


async def test_a_scrapping_may_record_its_residual_income_and_a_donation_still_none(assets_world):
    scrapped = await _ask(assets_world)
    await chain_decides(assets_world, scrapped, approve=True)
    done = await disposals.record_done(STAFF, scrapped["id"], "", 3500, "市财资〔2026〕21号", now())
    assert (done["state"], done["proceeds_fen"]) == (DisposalState.DONE.value, 3500)
    plain = await _ask(assets_world, asset="pc", ref="disp-00002")
    # 张伟 is the unit's leader already (from the first chain): he only decides this time.
    await approvals.decide(plain["approval"]["id"], 1, assets_world.people["D0001"], True, "", now())
    await bureau_decides(assets_world, plain["approval"]["id"])
    done = await disposals.record_done(STAFF, plain["id"], "", None, "市财资〔2026〕22号", now())
    assert done["proceeds_fen"] is None


async def test_an_approved_disposal_reads_approved_not_the_assets_pending_disposal(assets_world):
    disposal = await _ask(assets_world)
    assert disposal["asset_status_label"] == "待处置"
    await chain_decides(assets_world, disposal, approve=True)
    approved = await disposals.detail(assets_world.people["D0002"], disposal["id"])
    assert approved["state_label"] == "已批准待执行"
    message = await notices.render_disposal(disposal["id"])
    assert message is not None and message.data["phrase3"] == "已批准"


async def test_a_withdrawn_request_and_its_approval_use_the_same_word(assets_world):
    disposal = await _ask(assets_world)
    withdrawn = await disposals.cancel(assets_world.people["D0002"], disposal["id"], now())
    assert withdrawn["state_label"] == withdrawn["approval"]["state_label"] == "已撤回"
