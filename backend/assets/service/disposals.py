"""Disposal of assets (处置): an asset officer asks, for an asset of a unit they act for, to
scrap, auction, donate or transfer it (报废/拍卖/捐赠/调拨) with a reason; the asset is 待处置 while
the request goes through the approval chain (kind `assets.disposal`, each method a condition a
flow may add a step for). Refused or withdrawn, the asset gets back the status it had; approved,
it waits for the 公物仓's staff to record how it was done (recipient, an auction's proceeds, the
document's number), which makes it 已处置.

An asset in the warehouse (or out of it on loan), or already being disposed of, cannot be asked
for again: the request locks the asset's row and checks both. An item the 公物仓 cannot place is
taken out back to its giver first (出仓, `warehouse.take_out`), then disposed of like any idle
asset."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.service import ApprovalOutcome, Subject
from backend.assets.errors import AssetsError
from backend.assets.models import (
    Asset,
    AssetStatus,
    Disposal,
    DisposalMethod,
    DisposalState,
    MoveReason,
)
from backend.assets.service import moves, notices, officers, withdrawals
from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.pagination import paginate

KIND = "assets.disposal"
DISPOSABLE = (AssetStatus.IN_USE, AssetStatus.IDLE, AssetStatus.REPAIRING)
# An auction's proceeds at most (fen): 100 million yuan.
MOST_PROCEEDS_FEN = 10_000_000_000
NEEDS_RECIPIENT = (DisposalMethod.DONATE, DisposalMethod.TRANSFER)
# The methods that may bring money in: an auction's proceeds (required), scrap's residual income.
WITH_PROCEEDS = (DisposalMethod.AUCTION, DisposalMethod.SCRAP)


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value else None


async def request_disposal(
    person_id: int, client_ref: str, asset_no: str, method: DisposalMethod, reason: str, at: datetime
) -> tuple[dict, bool]:
    """An asset officer of the asset's unit (or a unit above it) asks to dispose of it. The
    asset becomes 待处置 and its approval starts, in one transaction; the same client_ref from the
    same person files once, and reused for another asset or method is refused
    (`assets.client_ref_reused`). Returns (disposal, created)."""
    reason = reason.strip()
    if not 2 <= len(reason) <= 500:
        raise AssetsError.DISPOSAL_REASON_REQUIRED.error()
    found = await Asset.get_or_none(asset_no=asset_no.strip().upper())
    if found is None:
        raise AssetsError.ASSET_NOT_FOUND.error()
    await officers.require(person_id, found.unit_id)

    async def filed(conn: Any, _unlocked: None) -> tuple[dict, bool]:
        asset = await Asset.filter(id=found.id).using_db(conn).select_for_update().get()
        # The unit may have changed since the check above; the request is for the unit it has now.
        if asset.unit_id != found.unit_id:
            await officers.require(person_id, asset.unit_id)
        if asset.status not in DISPOSABLE:
            raise AssetsError.NOT_DISPOSABLE.error(status=asset.status.label)
        await moves.refuse_if_on_loan(conn, asset)
        disposal = await Disposal.create(
            disposal_no=f"tmp-{secrets.token_hex(8)}",
            asset_id=asset.id,
            unit_id=asset.unit_id,
            requester_id=person_id,
            method=method,
            reason=reason,
            prior_status=asset.status,
            client_ref=client_ref,
            created_at=at,
            using_db=conn,
        )
        disposal.disposal_no = f"CZ{disposal.id:08d}"
        await disposal.save(using_db=conn, update_fields=["disposal_no"])
        await moves.move(
            conn,
            asset,
            MoveReason.DISPOSAL,
            await _person_name(person_id),
            at,
            status=AssetStatus.PENDING_DISPOSAL,
            note=f"申请{method.label}（{disposal.disposal_no}）",
        )
        title = f"{method.label} {asset.name}（{asset.asset_no}）"
        subject = Subject(KIND, disposal.id, asset.unit_id, person_id, title)
        await approvals.start(conn, subject, frozenset({method.value}), at)
        return await _view(conn, disposal.id), True

    async def replayed(existing: Disposal) -> tuple[dict, bool]:
        return await _view(None, existing.id), False

    def same(existing: Disposal) -> bool:
        nonlocal reused
        reused = existing.disposal_no
        return (existing.asset_id, existing.method) == (found.id, method)

    reused = ""
    return await idempotency.run_once(
        filed,
        find=lambda conn: Disposal.get_or_none(requester_id=person_id, client_ref=client_ref).using_db(conn),
        replay=replayed,
        matches=same,
        refusal=lambda: AssetsError.CLIENT_REF_REUSED.error(number=reused),
    )


async def _person_name(person_id: int) -> str:
    person = await people.person_summary(person_id)
    return f"{person.name}（{person.employee_no}）"


async def _give_back(conn: Any, disposal: Disposal, actor: str, at: datetime, note: str) -> None:
    asset = await Asset.filter(id=disposal.asset_id).using_db(conn).select_for_update().get()
    if asset.status is AssetStatus.PENDING_DISPOSAL:
        await moves.move(conn, asset, MoveReason.DISPOSAL, actor, at, status=disposal.prior_status, note=note)


async def decided(conn: Any, disposal_id: int, outcome: ApprovalOutcome, at: datetime) -> None:
    """The approval chain's end (called by backend.approvals in its transaction): approved, the
    disposal waits for its record; refused, the asset gets back the status it had."""
    disposal = await Disposal.filter(id=disposal_id).using_db(conn).select_for_update().get()
    if disposal.state != DisposalState.PENDING:
        return
    disposal.decided_at = at
    if outcome == ApprovalOutcome.APPROVED:
        disposal.state = DisposalState.APPROVED
    else:
        disposal.state = DisposalState.REFUSED
        await _give_back(conn, disposal, f"审批驳回（{disposal.disposal_no}）", at, "处置申请被驳回")
    await disposal.save(using_db=conn, update_fields=["state", "decided_at"])
    await notices.tell_disposal_requester(conn, disposal.id, disposal.requester_id, at)


async def cancel(person_id: int, disposal_id: int, at: datetime) -> dict:
    """The requester withdraws a disposal still in approval; the asset gets back its status."""
    async with in_transaction() as conn:
        disposal, withdrawn = await withdrawals.withdraw(
            conn,
            Disposal,
            DisposalState,
            KIND,
            disposal_id,
            person_id,
            at,
            AssetsError.DISPOSAL_NOT_FOUND,
            AssetsError.DISPOSAL_STATE,
        )
        if withdrawn:
            await _give_back(conn, disposal, await _person_name(person_id), at, "处置申请已撤回")
        return await _view(conn, disposal.id)


def _proceeds_valid(method: DisposalMethod, proceeds_fen: int | None) -> bool:
    """An auction has its proceeds, a scrapping may have its residual income (残值收入), a
    donation or transfer has none."""
    if proceeds_fen is None:
        return method is not DisposalMethod.AUCTION
    return method in WITH_PROCEEDS and 0 <= proceeds_fen <= MOST_PROCEEDS_FEN


async def record_done(
    actor: Actor,
    disposal_id: int,
    recipient: str,
    proceeds_fen: int | None,
    document_no: str,
    at: datetime,
) -> dict:
    """Record how an approved disposal was done (console): the document's number always, the
    receiving body for a donation or transfer, the proceeds for an auction (required) or the
    residual income of a scrapping (报废残值, optional), none for the others. The asset becomes
    已处置."""
    async with in_transaction() as conn:
        disposal = await Disposal.filter(id=disposal_id).using_db(conn).select_for_update().first()
        if disposal is None:
            raise AssetsError.DISPOSAL_NOT_FOUND.error()
        if disposal.state != DisposalState.APPROVED:
            raise AssetsError.DISPOSAL_STATE.error(state=disposal.state.label, action="登记处置结果")
        recipient, document_no = recipient.strip(), document_no.strip()
        if not document_no or len(document_no) > 60:
            raise AssetsError.DISPOSAL_DOCUMENT_REQUIRED.error()
        if disposal.method in NEEDS_RECIPIENT and not recipient:
            raise AssetsError.DISPOSAL_RECIPIENT_REQUIRED.error(method=disposal.method.label)
        if not _proceeds_valid(disposal.method, proceeds_fen):
            raise AssetsError.DISPOSAL_PROCEEDS_INVALID.error()
        asset = await Asset.filter(id=disposal.asset_id).using_db(conn).select_for_update().get()
        await moves.move(
            conn,
            asset,
            MoveReason.DISPOSAL,
            actor.name,
            at,
            custodian_id=None,
            status=AssetStatus.DISPOSED,
            note=f"{disposal.method.label}（{document_no}）"[:300],
        )
        before = {"state_label": disposal.state.label}
        disposal.state, disposal.done_at, disposal.done_by = DisposalState.DONE, at, actor.name[:100]
        disposal.recipient, disposal.proceeds_fen, disposal.document_no = recipient[:100], proceeds_fen, document_no
        await disposal.save(
            using_db=conn, update_fields=["state", "done_at", "done_by", "recipient", "proceeds_fen", "document_no"]
        )
        await record(
            conn,
            actor,
            "assets.record_disposal",
            "assets_disposal",
            disposal.id,
            before,
            {
                "state_label": disposal.state.label,
                "method": disposal.method.value,
                "recipient": disposal.recipient,
                "proceeds_fen": proceeds_fen,
                "document_no": document_no,
            },
        )
        return await _view(conn, disposal.id)


async def _views(conn: Any, disposals: list[Disposal]) -> list[dict]:
    assets = {
        a["id"]: a
        for a in await Asset.filter(id__in={d.asset_id for d in disposals})
        .using_db(conn)
        .values("id", "asset_no", "name", "spec", "original_value_fen", "status")
    }
    units = await people.units_by_id({d.unit_id for d in disposals})
    names = {p.id: p.name for p in await people.people_summaries({d.requester_id for d in disposals})}
    of_disposals = await approvals.of_subjects(KIND, [d.id for d in disposals], conn)
    views = []
    for d in disposals:
        approval = of_disposals.get(d.id)
        asset = assets[d.asset_id]
        views.append(
            {
                "id": d.id,
                "disposal_no": d.disposal_no,
                "asset_id": d.asset_id,
                "asset_no": asset["asset_no"] or "",
                "asset_name": asset["name"],
                "spec": asset["spec"],
                "original_value_fen": asset["original_value_fen"],
                "asset_status_label": AssetStatus(asset["status"]).label,
                "unit": units[d.unit_id].name if d.unit_id in units else "",
                "requester": names.get(d.requester_id, ""),
                "method": d.method.value,
                "method_label": d.method.label,
                "reason": d.reason,
                "state": d.state.value,
                "state_label": d.state.label,
                "recipient": d.recipient,
                "proceeds_fen": d.proceeds_fen,
                "document_no": d.document_no,
                "created_at": _iso(d.created_at),
                "decided_at": _iso(d.decided_at),
                "done_at": _iso(d.done_at),
                "done_by": d.done_by,
                "approval": approval.json() if approval else None,
            }
        )
    return views


async def _view(conn: Any, disposal_id: int) -> dict:
    return (await _views(conn, [await Disposal.get(id=disposal_id).using_db(conn)]))[0]


async def mine(person_id: int, page: int, page_size: int) -> dict:
    found = await paginate(Disposal.filter(requester_id=person_id), page, page_size, order_by=("-id",))
    return {**found.as_dict(), "items": await _views(None, found.items)}


async def detail(person_id: int, disposal_id: int) -> dict:
    if not await Disposal.exists(id=disposal_id, requester_id=person_id):
        raise AssetsError.DISPOSAL_NOT_FOUND.error()
    return await _view(None, disposal_id)


async def listing(page: int, page_size: int, state: DisposalState | None = None) -> dict:
    """Every disposal (or those in `state`), for the console, latest first."""
    query = Disposal.all() if state is None else Disposal.filter(state=state)
    found = await paginate(query, page, page_size, order_by=("-id",))
    return {**found.as_dict(), "items": await _views(None, found.items)}


async def describe_disposals(ids: list[int]) -> dict[int, str]:
    """How the audit log names a disposal: "CZ00000003 报废 办公椅"."""
    rows = await Disposal.filter(id__in=ids).values("id", "disposal_no", "method", "asset__name")
    return {r["id"]: f"{r['disposal_no']} {DisposalMethod(r['method']).label} {r['asset__name']}" for r in rows}
