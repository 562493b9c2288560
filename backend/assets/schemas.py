"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- H4 公物仓 and disposals ----
# (imports of this block kept here so the other parts' blocks merge without touching the top)
from datetime import date as _date  # noqa: E402

from pydantic import BaseModel  # noqa: E402

from backend.approvals.schemas import ApprovalOut  # noqa: E402

ClientRef = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


class WarehouseItemOut(BaseModel):
    """An item of the 公物仓 (its stay there); values in fen, `photos` how many it has."""

    id: int
    asset_id: int
    asset_no: str
    name: str
    spec: str
    category: str
    condition: str
    condition_label: str
    description: str
    original_value_fen: int
    net_value_fen: int = Field(description="按直线法折旧后的净值（分）")
    purchase_date: str | None
    from_unit: str
    warehouse: str
    photos: int
    entered_at: str | None
    available: bool = Field(description="是否可申请（未被其他申请占用）")
    held_by_request_id: int | None


class WarehouseRequestIn(BaseModel):
    """A unit's request for an item: `kind` allocate (调剂领用) or loan (临时借用, with
    `return_due`). `client_ref` is made by the mini-program once per form, so a resubmission after
    a lost answer files nothing twice."""

    client_ref: ClientRef
    entry_id: Id
    unit_id: Id
    kind: str = Field(pattern=r"^(allocate|loan)$")
    purpose: str = Field(min_length=2, max_length=300)
    place_id: Id | None = None
    custodian_id: Id | None = None
    return_due: _date | None = None


class WarehouseRequestOut(BaseModel):
    id: int
    request_no: str
    entry_id: int
    asset_no: str
    asset_name: str
    spec: str
    unit: str
    requester: str
    kind: str
    kind_label: str
    purpose: str
    place: str
    custodian: str
    return_due: str | None
    state: str
    state_label: str
    saved_fen: int
    created_at: str | None
    decided_at: str | None
    returned_at: str | None
    approval: ApprovalOut | None


class OfficerUnitOut(BaseModel):
    """A unit the asset officer acts for (and the units below it)."""

    id: int
    code: str
    name: str


class ChoiceOut(BaseModel):
    value: str
    label: str


class DisposalIn(BaseModel):
    """A request to dispose of an asset, by its number (as scanned from its label)."""

    client_ref: ClientRef
    asset_no: str = Field(pattern=r"^ZC\d{8,12}$")
    method: str = Field(pattern=r"^(scrap|auction|donate|transfer)$")
    reason: str = Field(min_length=2, max_length=500)


class DisposalOut(BaseModel):
    id: int
    disposal_no: str
    asset_id: int
    asset_no: str
    asset_name: str
    spec: str
    original_value_fen: int
    asset_status_label: str
    unit: str
    requester: str
    method: str
    method_label: str
    reason: str
    state: str
    state_label: str
    recipient: str
    proceeds_fen: int | None
    document_no: str
    created_at: str | None
    decided_at: str | None
    done_at: str | None
    done_by: str
    approval: ApprovalOut | None


class LoanReturnIn(BaseModel):
    """A loan back in the warehouse, with the condition it came back in."""

    condition: str = Field(pattern=r"^(new|good|fair|needs_repair)$")


class DisposalRecordIn(BaseModel):
    """How an approved disposal was done: the document's number, the receiving body (donation,
    transfer), an auction's proceeds (fen; the console's form takes yuan)."""

    document_no: str = Field(min_length=1, max_length=60)
    recipient: str = Field(default="", max_length=100)
    proceeds_fen: int | None = Field(default=None, ge=0)
