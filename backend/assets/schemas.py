"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from backend.approvals.schemas import ApprovalOut
from backend.assets.models import (
    AssetStatus,
    Resolution,
)
from backend.assets.service.stocktakes import employee_numbers
from backend.core.web.apidocs import File
from backend.places import service as places

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- H5 stock-taking ----


class StocktakeIn(BaseModel):
    """A stock-take to open: over a unit's subtree, a building's rooms, or a unit's assets in one
    building; its checkers by employee number (a list, or one text separated by commas, 顿号 or
    spaces, as the console's form sends it)."""

    title: str = Field(min_length=2, max_length=100)
    unit_id: Id | None = None
    building_id: Id | None = None
    checkers: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=20)

    @field_validator("checkers", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return employee_numbers(value) if isinstance(value, str) else value


class StocktakeResolveIn(BaseModel):
    """How the asset office resolved a finding, with an optional note (处理说明)."""

    resolution: Resolution
    note: str = Field(default="", max_length=300)


class StocktakeCodeIn(BaseModel):
    """A code as the mini-program's scanner read it (a room's QR at the door, or a label in the room)."""

    code: str = Field(min_length=1, max_length=300)


class StocktakeTaskOut(BaseModel):
    id: int
    title: str
    unit_id: int | None
    unit_name: str
    building_id: int | None
    building_name: str
    state: str
    state_label: str
    created_by: str
    created_at: str
    closed_at: str | None
    rooms: int = Field(description="房间数")
    rooms_checked: int = Field(description="已提交的房间数")


class StocktakeAssetOut(BaseModel):
    """An asset as a checker sees it: no value, no custodian."""

    asset_no: str
    name: str
    spec: str


class StocktakeExpectedOut(StocktakeAssetOut):
    scanned: bool = Field(description="已在本房间扫到")


class StocktakeOtherOut(BaseModel):
    code: str
    result: Literal["elsewhere", "unexpected", "unknown"]
    result_label: str
    asset: StocktakeAssetOut | None
    registered_place: str = Field(description="位置不符时，资产登记所在的房间")


class StocktakeRoomOut(BaseModel):
    stocktake_id: int
    title: str
    task_open: bool
    place_id: int
    place_name: str
    submitted: bool
    checked_by: str
    checked_at: str | None
    expected_count: int
    scanned_count: int
    expected: list[StocktakeExpectedOut]
    others: list[StocktakeOtherOut] = Field(description="本房间扫到的其他标签（位置不符、盘盈）")


class StocktakeScanOut(BaseModel):
    result: Literal["expected", "elsewhere", "unexpected", "unknown"] = Field(
        description=(
            "expected 账实相符；elsewhere 登记在本任务的其他房间；"
            "unexpected 本平台资产但不在本次盘点范围；unknown 非本平台资产"
        )
    )
    result_label: str
    asset: StocktakeAssetOut | None
    replayed: bool = Field(description="true：本房间已扫过这个码，未重复记录")
    room: StocktakeRoomOut


# ---- H3 labels, scanning, asset → repair, reports ----

PDF = File("application/pdf", "PDF 文件")


class ScanIn(BaseModel):
    """The text of a QR code the mini-program's scanner read."""

    code: str = Field(min_length=1, max_length=300)


class AssetScanOut(BaseModel):
    asset_no: str
    name: str
    spec: str
    category: str
    unit: str
    place_id: int | None
    place: str
    status: str
    status_label: str
    can_report_repair: bool
    custodian: str = Field(description="使用人姓名（脱敏，如“张*”）")


class RoomScanOut(BaseModel):
    place_id: int
    name: str
    full_name: str
    assets: int = Field(description="登记在该房间、未处置的资产数")


class ScanOut(BaseModel):
    kind: str = Field(description="asset：资产二维码；room：房间二维码")
    asset: AssetScanOut | None
    room: RoomScanOut | None


class AssetRepairIn(BaseModel):
    """随手拍 from an asset's QR code: the asset's room and the spot are filled in from its card.
    `client_ref` is made once per report form, so a resubmission files nothing twice."""

    client_ref: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    category_id: Id
    description: str = Field(min_length=2, max_length=500)
    photo_ids: list[Id] = Field(default_factory=list, max_length=9)


class AssetRepairOut(BaseModel):
    id: int
    state: str
    asset_no: str


# ---- H4 公物仓 and disposals ----
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
    return_due: date | None = None


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
    transfer), an auction's proceeds or a scrapping's residual income (fen; the console's form takes
    yuan)."""

    document_no: str = Field(min_length=1, max_length=60)
    recipient: str = Field(default="", max_length=100)
    proceeds_fen: int | None = Field(default=None, ge=0)


# ---- H2 space ----
# Areas are typed in m² ("18.5") and carried in hundredths of m² (1850), read as decimals.


def _area(value: object) -> int:
    try:
        return places.parse_area(str(value))
    except Exception:
        raise ValueError("面积须为大于 0 的数，单位平方米，最多两位小数") from None


class RoomFactsIn(BaseModel):
    use_area: int
    building_area: int | None = None
    use: str = Field(pattern="^(office|service|equipment|ancillary)$")
    unit_id: Id | None = None

    @field_validator("use_area", "building_area", mode="before")
    @classmethod
    def _areas(cls, value: object) -> int | None:
        return None if value in (None, "") else _area(value)


class OccupantIn(BaseModel):
    employee_no: str = Field(min_length=1, max_length=20)
    grade: str = Field(pattern="^(city_chief|city_deputy|bureau_chief|bureau_deputy|below_bureau)$")
    since: date


class AreaStandardIn(BaseModel):
    grade: str = Field(pattern="^(city_chief|city_deputy|bureau_chief|bureau_deputy|below_bureau)$")
    per_person: int | None = None

    @field_validator("per_person", mode="before")
    @classmethod
    def _area(cls, value: object) -> int | None:
        return None if value in (None, "") else _area(value)


class BuildingFileIn(BaseModel):
    tenure: str = Field(pattern="^(owned|allocated|leased|borrowed)$")
    title_no: str = Field(default="", max_length=60)
    land_no: str = Field(default="", max_length=60)
    permits: str = Field(default="", max_length=500)
    built_year: int | None = Field(default=None, ge=1900, le=2100)
    address: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)


class InspectionIn(BaseModel):
    inspected_on: date
    inspector: str = Field(min_length=1, max_length=60)
    result: str = Field(pattern="^(passed|hazard|rectified)$")
    findings: str = Field(default="", max_length=500)


class PlaceIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    parent_id: Id | None = None


class RoomTransferIn(BaseModel):
    client_ref: str = Field(min_length=8, max_length=64)
    place_id: Id
    unit_id: Id
    reason: str = Field(min_length=2, max_length=500)


class VacantRoomOut(BaseModel):
    id: int
    full_name: str
    use_area: int
    building_area: int | None
    use: str
    use_label: str


class RoomTransferOut(BaseModel):
    id: int
    place_id: int
    room: str
    from_unit: str
    to_unit: str
    to_unit_id: int
    requester: str
    reason: str
    state: str
    state_label: str
    created_at: datetime
    decided_at: datetime | None
    approval_id: int | None


# ---- H1 cards ----


class AssetCategoryIn(BaseModel):
    code: str = Field(min_length=3, max_length=16, description="分类编码（GB/T 14885 式，如 A020101），以上级编码开头")
    name: str = Field(min_length=1, max_length=60)
    parent_id: Id | None = Field(default=None, description="上级分类；不传为顶级分类")
    useful_life_months: int = Field(default=0, ge=0, le=600, description="新卡片默认使用年限（月），0 不计提折旧")


class AssetCategoryUpdateIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    useful_life_months: int = Field(ge=0, le=600)
    is_active: bool = True


class AssetCategoryOut(BaseModel):
    id: int
    parent_id: int | None
    code: str
    name: str
    useful_life_months: int
    is_active: bool
    depth: int = 0


class AssetCardIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="资产名称")
    category_id: Id
    spec: str = Field(default="", max_length=100, description="规格型号")
    unit_id: Id = Field(description="使用单位")
    place_id: Id | None = Field(default=None, description="存放地点（必须是房间）")
    custodian_id: Id | None = Field(default=None, description="使用人")
    original_value_fen: int = Field(ge=0, le=10_000_000_000_00, description="原值（分）；0 仅限受捐赠等，须写备注")
    purchase_date: date = Field(description="购置日期，不能晚于今天")
    useful_life_months: int | None = Field(default=None, ge=0, le=600, description="使用年限（月）；不传取分类默认值")
    status: AssetStatus = Field(default=AssetStatus.IN_USE, description="在用、闲置或维修")
    note: str = Field(default="", max_length=500)


class AssetDepreciationOut(BaseModel):
    months: int
    accumulated_fen: int
    net_fen: int
    monthly_fen: int


class AssetCardMoveOut(BaseModel):
    at: datetime
    reason: str
    reason_label: str
    from_unit: str
    to_unit: str
    from_place: str
    to_place: str
    from_custodian: str
    to_custodian: str
    from_status: str
    to_status: str
    actor: str
    note: str


class AssetCardRowOut(BaseModel):
    id: int
    asset_no: str | None
    name: str
    spec: str
    category_id: int
    category_name: str
    unit_id: int
    unit_name: str
    place_id: int | None
    place_name: str
    custodian_id: int | None
    custodian_name: str
    original_value_fen: int
    net_value_fen: int
    purchase_date: date
    useful_life_months: int
    status: str
    status_label: str
    note: str


class AssetCardOut(AssetCardRowOut):
    depreciation: AssetDepreciationOut
    moves: list[AssetCardMoveOut]
    repairs: list[dict]


class AssetCardSavedOut(BaseModel):
    id: int
    asset_no: str | None
    name: str
    spec: str
    category_id: int
    unit_id: int
    place_id: int | None
    custodian_id: int | None
    original_value_fen: int
    purchase_date: date
    useful_life_months: int
    status: str
    status_label: str
    note: str


class AssetImportOut(BaseModel):
    total: int = Field(description="文件中的资产数")
    applied: bool = Field(description="是否已导入（试导入为 false）")
    first_no: str = Field(description="起始资产编号")
    last_no: str = Field(description="截止资产编号")


class AssetOfficerIn(BaseModel):
    employee_no: str = Field(min_length=1, max_length=32, description="工号")
    unit_code: str = Field(min_length=1, max_length=32, description="单位编码")


class AssetOfficerOut(BaseModel):
    id: int
    person_id: int
    employee_no: str
    person_name: str
    unit_id: int
    unit_code: str
    unit_name: str
    is_active: bool
