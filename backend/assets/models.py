"""Tables of the assets module: asset categories and cards with their moves, the units' asset
officers, the 公物仓 (warehouse entries, requests and loans), disposals, stock-takes with their
scans and findings, the office-space register's files (buildings' titles, documents, safety
inspections), room reallocations and the area standard per grade."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class AssetStatus(LabelledEnum):
    IN_USE = "in_use", "在用"
    IDLE = "idle", "闲置"
    REPAIRING = "repairing", "维修"
    PENDING_DISPOSAL = "pending_disposal", "待处置"
    DISPOSED = "disposed", "已处置"
    IN_WAREHOUSE = "in_warehouse", "在仓"


class MoveReason(LabelledEnum):
    """Why an asset's unit, room, custodian or status changed (the card's history)."""

    REGISTERED = "registered", "登记入账"
    EDITED = "edited", "修改"
    WAREHOUSE_IN = "warehouse_in", "入公物仓"
    # Out of the 公物仓 for good: allocated to a unit, or back to the giver (出仓); the move's note
    # says which.
    WAREHOUSE_OUT = "warehouse_out", "出公物仓"
    LOAN_OUT = "loan_out", "公物仓借出"
    LOAN_RETURN = "loan_return", "借用归还"
    STOCKTAKE = "stocktake", "盘点更正"
    DISPOSAL = "disposal", "处置"


class AssetCategory(Model):
    """A class of the fixed-asset classification (固定资产分类与代码, GB/T 14885), as a tree.
    `path` is the chain of ids from the root ("/1/4/9/"), so a class and all below it is a prefix
    match. `useful_life_months` is the default for new cards of the class (0: not depreciated)."""

    id = fields.IntField(primary_key=True)
    parent = fields.ForeignKeyField(
        "houqin.AssetCategory", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=60)
    path = fields.CharField(max_length=255, db_index=True)
    useful_life_months = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "assets_category"


class Asset(Model):
    """An asset card (资产卡片). `asset_no` is made from the id the database sequence gives the row
    when the card is saved, so two people adding cards at once never get the same number.
    Money is in fen, straight-line depreciation over `useful_life_months` with no residual value,
    starting the month the asset was bought."""

    id = fields.IntField(primary_key=True)
    asset_no = fields.CharField(max_length=20, unique=True, null=True)
    category = fields.ForeignKeyField("houqin.AssetCategory", related_name="assets", on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=100, db_index=True)
    spec = fields.CharField(max_length=100, default="")
    unit = fields.ForeignKeyField("houqin.Unit", related_name="assets", on_delete=fields.RESTRICT)
    place = fields.ForeignKeyField("houqin.Place", related_name="assets", null=True, on_delete=fields.RESTRICT)
    custodian = fields.ForeignKeyField(
        "houqin.Person", related_name="assets_in_custody", null=True, on_delete=fields.RESTRICT
    )
    original_value_fen = fields.BigIntField()
    purchase_date = fields.DateField()
    useful_life_months = fields.IntField()
    status = fields.CharEnumField(AssetStatus, max_length=20, default=AssetStatus.IN_USE, db_index=True)
    photo_key = fields.CharField(max_length=200, null=True)
    note = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    disposed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_asset"
        indexes = (("unit_id", "status"), ("category_id",), ("place_id",), ("custodian_id",), ("purchase_date",))


class AssetMove(Model):
    """One change of an asset's unit, room, custodian or status, with why and who (the card's
    history). Ids of the other modules' rows are plain numbers: a move is a record, kept even
    when what it names is gone."""

    id = fields.IntField(primary_key=True)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="moves", on_delete=fields.CASCADE)
    reason = fields.CharEnumField(MoveReason, max_length=20)
    from_unit_id = fields.IntField(null=True)
    to_unit_id = fields.IntField(null=True)
    from_place_id = fields.IntField(null=True)
    to_place_id = fields.IntField(null=True)
    from_custodian_id = fields.IntField(null=True)
    to_custodian_id = fields.IntField(null=True)
    from_status = fields.CharField(max_length=20, default="")
    to_status = fields.CharField(max_length=20, default="")
    actor = fields.CharField(max_length=100)
    note = fields.CharField(max_length=300, default="")
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "assets_move"
        indexes = (("asset_id", "at"),)


class AssetRepair(Model):
    """A repair report (of the repairs module) made from an asset's QR code."""

    id = fields.IntField(primary_key=True)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="repairs", on_delete=fields.CASCADE)
    repair_id = fields.IntField(unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assets_repair"


class AssetOfficer(Model):
    """A unit's asset officer (资产管理员): requests from the 公物仓, asks for disposals and room
    reallocations, and checks rooms in stock-takes, for `unit`, from the mini-program."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="asset_officer_of", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="asset_officers", on_delete=fields.RESTRICT)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "assets_officer"
        unique_together = (("person", "unit"),)


class Warehouse(Model):
    """A 公物仓: a physical store (实体仓) at a place of the tree."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=60, unique=True)
    place = fields.ForeignKeyField("houqin.Place", related_name="warehouses", on_delete=fields.RESTRICT)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "assets_warehouse"


class ItemCondition(LabelledEnum):
    NEW = "new", "全新"
    GOOD = "good", "良好"
    FAIR = "fair", "一般"
    NEEDS_REPAIR = "needs_repair", "需维修"


class WarehouseEntry(Model):
    """An asset's stay in the 公物仓, from moving in to leaving. `open_asset_id` is the asset's id
    while it is in the warehouse and null after (one open stay per asset, by a unique index).
    `held_by_request_id` is the request now holding the item: set by one conditional update, so of two units
    asking at once one gets it."""

    id = fields.IntField(primary_key=True)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="warehouse_entries", on_delete=fields.RESTRICT)
    warehouse = fields.ForeignKeyField("houqin.Warehouse", related_name="entries", on_delete=fields.RESTRICT)
    from_unit = fields.ForeignKeyField("houqin.Unit", related_name="warehouse_entries", on_delete=fields.RESTRICT)
    condition = fields.CharEnumField(ItemCondition, max_length=16)
    photo_keys: fields.JSONField[list[str]] = fields.JSONField(default=list)
    description = fields.CharField(max_length=500, default="")
    entered_at = fields.DatetimeField()
    entered_by = fields.CharField(max_length=100)
    open_asset_id = fields.IntField(null=True, unique=True)
    # The id of the request holding the item (a plain number: the request table refers to this
    # one, and the two may not refer to each other).
    held_by_request_id = fields.IntField(null=True)
    left_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_warehouse_entry"


class RequestKind(LabelledEnum):
    ALLOCATE = "allocate", "调剂领用"
    LOAN = "loan", "临时借用"


class RequestState(LabelledEnum):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "已通过"
    REFUSED = "refused", "已驳回"
    CANCELLED = "cancelled", "已撤回"
    RETURNED = "returned", "已归还"


class WarehouseRequest(Model):
    """A unit's request for a 公物仓 item, to keep (调剂领用) or to borrow until `return_due`
    (临时借用), approved through the approval chain. `saved_fen` is the value counted as saved
    when an allocation is approved (the asset's original value, what buying it new would cost)."""

    id = fields.IntField(primary_key=True)
    request_no = fields.CharField(max_length=24, unique=True)
    entry = fields.ForeignKeyField("houqin.WarehouseEntry", related_name="requests", on_delete=fields.RESTRICT)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="warehouse_requests", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="warehouse_requests", on_delete=fields.RESTRICT)
    requester = fields.ForeignKeyField("houqin.Person", related_name="warehouse_requests", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(RequestKind, max_length=16)
    purpose = fields.CharField(max_length=300)
    place = fields.ForeignKeyField(
        "houqin.Place", related_name="warehouse_requests", null=True, on_delete=fields.RESTRICT
    )
    custodian = fields.ForeignKeyField(
        "houqin.Person", related_name="warehouse_custody_requests", null=True, on_delete=fields.RESTRICT
    )
    return_due = fields.DateField(null=True)
    state = fields.CharEnumField(RequestState, max_length=16, default=RequestState.PENDING)
    saved_fen = fields.BigIntField(default=0)
    client_ref = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(db_index=True)
    decided_at = fields.DatetimeField(null=True)
    returned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_warehouse_request"
        unique_together = (("requester", "client_ref"),)


class DisposalMethod(LabelledEnum):
    SCRAP = "scrap", "报废"
    AUCTION = "auction", "拍卖"
    DONATE = "donate", "捐赠"
    TRANSFER = "transfer", "调拨"


class DisposalState(LabelledEnum):
    PENDING = "pending", "审批中"
    # Approved, waiting for the 公物仓's staff to record how it was done (not the asset's 待处置,
    # which it is from the request on).
    APPROVED = "approved", "已批准待执行"
    REFUSED = "refused", "已驳回"
    CANCELLED = "cancelled", "已撤回"
    DONE = "done", "已处置"


class Disposal(Model):
    """A request to dispose of an asset (处置), its approval, and the record of how it was done
    (recipient, proceeds of an auction, the document's number)."""

    id = fields.IntField(primary_key=True)
    disposal_no = fields.CharField(max_length=24, unique=True)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="disposals", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="disposals", on_delete=fields.RESTRICT)
    requester = fields.ForeignKeyField("houqin.Person", related_name="disposals", on_delete=fields.RESTRICT)
    method = fields.CharEnumField(DisposalMethod, max_length=16)
    reason = fields.CharField(max_length=500)
    state = fields.CharEnumField(DisposalState, max_length=16, default=DisposalState.PENDING)
    # The asset's status before the request, given back if it is refused or withdrawn.
    prior_status = fields.CharEnumField(AssetStatus, max_length=20)
    recipient = fields.CharField(max_length=100, default="")
    proceeds_fen = fields.BigIntField(null=True)
    document_no = fields.CharField(max_length=60, default="")
    client_ref = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(db_index=True)
    decided_at = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)
    done_by = fields.CharField(max_length=100, default="")

    class Meta:
        table = "assets_disposal"
        unique_together = (("requester", "client_ref"),)


class StocktakeState(LabelledEnum):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"


class Stocktake(Model):
    """A stock-taking task (盘点任务) over a unit's assets or a building's rooms (one of the two,
    or both). The rooms to check and the assets expected in each are fixed when it is opened."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="stocktakes", null=True, on_delete=fields.RESTRICT)
    building = fields.ForeignKeyField("houqin.Place", related_name="stocktakes", null=True, on_delete=fields.RESTRICT)
    state = fields.CharEnumField(StocktakeState, max_length=16, default=StocktakeState.OPEN)
    created_by = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_stocktake"


class StocktakeChecker(Model):
    """A person who checks rooms of a stock-take in the mini-program."""

    id = fields.IntField(primary_key=True)
    stocktake = fields.ForeignKeyField("houqin.Stocktake", related_name="checkers", on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("houqin.Person", related_name="stocktakes_to_check", on_delete=fields.RESTRICT)

    class Meta:
        table = "assets_stocktake_checker"
        unique_together = (("stocktake", "person"),)


class StocktakeItem(Model):
    """An asset a stock-take expects in a room (its room when the task was opened)."""

    id = fields.IntField(primary_key=True)
    stocktake = fields.ForeignKeyField("houqin.Stocktake", related_name="items", on_delete=fields.CASCADE)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="stocktake_items", on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("houqin.Place", related_name="stocktake_items", on_delete=fields.RESTRICT)

    class Meta:
        table = "assets_stocktake_item"
        unique_together = (("stocktake", "asset"),)


class StocktakeRoom(Model):
    """A room of a stock-take: checked once its checker has scanned what is there and submitted."""

    id = fields.IntField(primary_key=True)
    stocktake = fields.ForeignKeyField("houqin.Stocktake", related_name="rooms", on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("houqin.Place", related_name="stocktake_rooms", on_delete=fields.RESTRICT)
    checked_by = fields.ForeignKeyField(
        "houqin.Person", related_name="stocktake_rooms_checked", null=True, on_delete=fields.RESTRICT
    )
    checked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_stocktake_room"
        unique_together = (("stocktake", "place"),)


class StocktakeScan(Model):
    """A code scanned in a room during a stock-take: an asset of this system (`asset`), or a label
    this system does not know (`asset` null, the code as read)."""

    id = fields.IntField(primary_key=True)
    stocktake = fields.ForeignKeyField("houqin.Stocktake", related_name="scans", on_delete=fields.CASCADE)
    place = fields.ForeignKeyField("houqin.Place", related_name="stocktake_scans", on_delete=fields.RESTRICT)
    asset = fields.ForeignKeyField("houqin.Asset", related_name="stocktake_scans", null=True, on_delete=fields.CASCADE)
    code = fields.CharField(max_length=200)
    scanned_by = fields.ForeignKeyField("houqin.Person", related_name="stocktake_scans", on_delete=fields.RESTRICT)
    at = fields.DatetimeField()

    class Meta:
        table = "assets_stocktake_scan"
        unique_together = (("stocktake", "place", "code"),)


class FindingKind(LabelledEnum):
    MISSING = "missing", "盘亏（未找到）"
    MOVED = "moved", "位置不符"
    UNKNOWN = "unknown", "盘盈（清单外）"


class Resolution(LabelledEnum):
    FOUND = "found", "已找到，位置无误"
    RELOCATED = "relocated", "按实际位置更正"
    WRITE_OFF = "write_off", "核销（转闲置，待申请处置）"
    REGISTERED = "registered", "已登记入账"
    DISMISSED = "dismissed", "核实无需处理"


class StocktakeFinding(Model):
    """A difference a stock-take found, and how the asset officer resolved it."""

    id = fields.IntField(primary_key=True)
    stocktake = fields.ForeignKeyField("houqin.Stocktake", related_name="findings", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(FindingKind, max_length=16)
    asset = fields.ForeignKeyField(
        "houqin.Asset", related_name="stocktake_findings", null=True, on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=200, default="")
    expected_place = fields.ForeignKeyField(
        "houqin.Place", related_name="findings_expected", null=True, on_delete=fields.RESTRICT
    )
    found_place = fields.ForeignKeyField(
        "houqin.Place", related_name="findings_found", null=True, on_delete=fields.RESTRICT
    )
    resolution = fields.CharEnumField(Resolution, max_length=16, null=True)
    resolved_by = fields.CharField(max_length=100, default="")
    resolved_at = fields.DatetimeField(null=True)
    note = fields.CharField(max_length=300, default="")

    class Meta:
        table = "assets_stocktake_finding"


class AreaStandard(Model):
    """The office area one person of a grade is allowed (使用面积, hundredths of m²). Grades
    without a row use the national standard's value for city-level bodies."""

    id = fields.IntField(primary_key=True)
    grade = fields.CharField(max_length=16, unique=True)
    per_person_hundredths = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "assets_area_standard"


class Tenure(LabelledEnum):
    """How the bureau holds a building (权属来源)."""

    OWNED = "owned", "自有产权"
    ALLOCATED = "allocated", "划拨使用"
    LEASED = "leased", "租用"
    BORROWED = "borrowed", "借用"


class BuildingFile(Model):
    """A building's file in the office-space register (一房一档): where it comes from, its titles
    and permits."""

    id = fields.IntField(primary_key=True)
    place = fields.OneToOneField("houqin.Place", related_name="building_file", on_delete=fields.RESTRICT)
    tenure = fields.CharEnumField(Tenure, max_length=16)
    title_no = fields.CharField(max_length=60, default="")
    land_no = fields.CharField(max_length=60, default="")
    permits = fields.CharField(max_length=500, default="")
    built_year = fields.IntField(null=True)
    address = fields.CharField(max_length=200, default="")
    note = fields.CharField(max_length=500, default="")
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "assets_building_file"


class DocumentKind(LabelledEnum):
    """The parts of a file (图-表-文件)."""

    DRAWING = "drawing", "图纸"
    FLOOR_PLAN = "floor_plan", "平面图"
    PHOTO = "photo", "照片"
    TABLE = "table", "表格"
    DOCUMENT = "document", "文件"


class SpaceDocument(Model):
    """A drawing, floor plan, photo, table or document filed with a building or a room."""

    id = fields.IntField(primary_key=True)
    place = fields.ForeignKeyField("houqin.Place", related_name="documents", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(DocumentKind, max_length=16)
    title = fields.CharField(max_length=100)
    file_key = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100)
    size_bytes = fields.IntField()
    uploaded_by = fields.CharField(max_length=100)
    uploaded_at = fields.DatetimeField()

    class Meta:
        table = "assets_space_document"


class InspectionResult(LabelledEnum):
    PASSED = "passed", "合格"
    HAZARD = "hazard", "存在隐患"
    RECTIFIED = "rectified", "隐患已整改"


class SafetyInspection(Model):
    """A safety inspection of a building or a room, with what it found."""

    id = fields.IntField(primary_key=True)
    place = fields.ForeignKeyField("houqin.Place", related_name="inspections", on_delete=fields.RESTRICT)
    inspected_on = fields.DateField()
    inspector = fields.CharField(max_length=60)
    result = fields.CharEnumField(InspectionResult, max_length=16)
    findings = fields.CharField(max_length=500, default="")
    recorded_by = fields.CharField(max_length=100)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "assets_safety_inspection"


class TransferState(LabelledEnum):
    PENDING = "pending", "审批中"
    DONE = "done", "已调剂"
    REFUSED = "refused", "已驳回"
    CANCELLED = "cancelled", "已撤回"


class RoomTransfer(Model):
    """A unit's request for a room held by another unit or by none (办公用房调剂), approved through
    the approval chain. Once approved the room is the new unit's. Kept as the room's history."""

    id = fields.IntField(primary_key=True)
    place = fields.ForeignKeyField("houqin.Place", related_name="transfers", on_delete=fields.RESTRICT)
    from_unit = fields.ForeignKeyField("houqin.Unit", related_name="rooms_given", null=True, on_delete=fields.RESTRICT)
    to_unit = fields.ForeignKeyField("houqin.Unit", related_name="rooms_received", on_delete=fields.RESTRICT)
    requester = fields.ForeignKeyField("houqin.Person", related_name="room_transfers", on_delete=fields.RESTRICT)
    reason = fields.CharField(max_length=500)
    state = fields.CharEnumField(TransferState, max_length=16, default=TransferState.PENDING)
    client_ref = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(db_index=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assets_room_transfer"
        unique_together = (("requester", "client_ref"),)
