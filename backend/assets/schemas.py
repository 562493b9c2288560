"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- H1 cards ----

import datetime as _dt  # noqa: E402 (the cards block is appended to a shared file)

from pydantic import BaseModel  # noqa: E402

from backend.assets.models import AssetStatus  # noqa: E402


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
    purchase_date: _dt.date = Field(description="购置日期，不能晚于今天")
    useful_life_months: int | None = Field(default=None, ge=0, le=600, description="使用年限（月）；不传取分类默认值")
    status: AssetStatus = Field(default=AssetStatus.IN_USE, description="在用、闲置或维修")
    note: str = Field(default="", max_length=500)


class AssetDepreciationOut(BaseModel):
    months: int
    accumulated_fen: int
    net_fen: int
    monthly_fen: int


class AssetCardMoveOut(BaseModel):
    at: _dt.datetime
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
    purchase_date: _dt.date
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
    purchase_date: _dt.date
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
