"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- H3 labels, scanning, asset → repair, reports ----
from pydantic import BaseModel  # noqa: E402

from backend.core.web.apidocs import File  # noqa: E402

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
