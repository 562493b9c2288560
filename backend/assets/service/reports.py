"""Reports on the asset cards: value by unit and by class (original value, accumulated
depreciation, net value), depreciation charged this month and this year, and the idle rate; the
dashboard's counts; and the same figures as an Excel workbook.

What counts is every card not yet disposed of (已处置 cards left the books). The idle rate is the
share of those cards that are 闲置 or 在仓 (in the 公物仓): what could serve another unit. The
depreciation is the cards' own (`depreciation.of`, straight-line by month), worked out card by
card: it is not stored, so a report is always as of the day it is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from backend.accounts.service import people
from backend.assets.models import Asset, AssetCategory, AssetStatus
from backend.assets.service import depreciation
from backend.core.money import yuan
from backend.core.permissions import Scope
from backend.core.spreadsheet import Sheet, workbook

IDLE = (AssetStatus.IDLE, AssetStatus.IN_WAREHOUSE)
COLUMNS = (
    ("count", "资产数", "count"),
    ("original_fen", "原值", "money"),
    ("accumulated_fen", "累计折旧", "money"),
    ("net_fen", "净值", "money"),
    ("month_fen", "本月折旧", "money"),
    ("year_fen", "本年折旧", "money"),
    ("idle", "闲置（含在仓）", "count"),
)


async def unit_labels(unit_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{unit id: how pages name it ("市财政局·办公室", `people.unit_label`)} of these units (None: all)."""
    units = await people.list_units(Scope.EVERYTHING)
    names = {u["id"]: u["name"] for u in units}
    wanted = None if unit_ids is None else set(unit_ids)
    return {
        u["id"]: people.unit_label(u["name"], names.get(u["parent_id"]), u["depth"])
        for u in units
        if wanted is None or u["id"] in wanted
    }


@dataclass
class Line:
    """The figures of one group of cards (a unit, a class, or all)."""

    key: int | str
    name: str
    count: int = 0
    original_fen: int = 0
    accumulated_fen: int = 0
    net_fen: int = 0
    month_fen: int = 0
    year_fen: int = 0
    idle: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, value_fen: int, now: depreciation.Depreciation, year_fen: int, status: AssetStatus) -> None:
        self.count += 1
        self.original_fen += value_fen
        self.accumulated_fen += now.accumulated_fen
        self.net_fen += now.net_fen
        self.month_fen += now.monthly_fen
        self.year_fen += year_fen
        self.idle += status in IDLE
        self.by_status[status.value] = self.by_status.get(status.value, 0) + 1

    @property
    def idle_rate(self) -> float:
        return self.idle / self.count if self.count else 0.0

    def view(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "count": self.count,
            "original_fen": self.original_fen,
            "accumulated_fen": self.accumulated_fen,
            "net_fen": self.net_fen,
            "month_fen": self.month_fen,
            "year_fen": self.year_fen,
            "idle": self.idle,
            "idle_rate": round(self.idle_rate, 4),
            "by_status": self.by_status,
        }


async def _cards(scope: Scope):
    query = Asset.exclude(status=AssetStatus.DISPOSED)
    unit_ids = await people.units_within(scope)
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    return await query.values_list(
        "unit_id", "category_id", "original_value_fen", "useful_life_months", "purchase_date", "status"
    )


async def _root_classes() -> tuple[dict[int, int], dict[int, str]]:
    """{class id: the id of the top class it is under} and {top class id: "A02 设备"}."""
    classes = await AssetCategory.all().values_list("id", "path", "code", "name")
    top_of = {cid: int(path.strip("/").split("/")[0]) for cid, path, _, _ in classes if path.strip("/")}
    names = {cid: f"{code} {name}" for cid, _, code, name in classes}
    return top_of, {top: names.get(top, f"#{top}") for top in set(top_of.values())}


async def summary(scope: Scope, on: date) -> dict:
    """The cards the scope reaches, as of `on`: totals, and lines by unit and by top class (by
    original value, largest first); money in fen, the idle rate as a share (0.125 = 12.5 %)."""
    cards = await _cards(scope)
    top_of, class_names = await _root_classes()
    units = await unit_labels({c[0] for c in cards})
    year_end = date(on.year - 1, 12, 31)
    total = Line("all", "合计")
    by_unit: dict[int, Line] = {}
    by_class: dict[int, Line] = {}
    for unit_id, category_id, value, life, bought, status in cards:
        now = depreciation.of(value, life, bought, on)
        year = now.accumulated_fen - depreciation.of(value, life, bought, year_end).accumulated_fen
        top = top_of.get(category_id, category_id)
        for line in (
            total,
            by_unit.setdefault(unit_id, Line(unit_id, units.get(unit_id, f"#{unit_id}"))),
            by_class.setdefault(top, Line(top, class_names.get(top, f"#{top}"))),
        ):
            line.add(value, now, year, status)

    def ordered(lines: dict[int, Line]) -> list[dict]:
        return [line.view() for line in sorted(lines.values(), key=lambda x: (-x.original_fen, x.name))]

    return {"on": on, "total": total.view(), "units": ordered(by_unit), "classes": ordered(by_class)}


async def dashboard_counts(scope: Scope) -> dict:
    """For the dashboard: cards not disposed of, and how many of them are idle or in the 公物仓."""
    query = Asset.exclude(status=AssetStatus.DISPOSED)
    unit_ids = await people.units_within(scope)
    if unit_ids is not None:
        query = query.filter(unit_id__in=unit_ids)
    total = await query.count()
    idle = await query.filter(status__in=IDLE).count()
    return {"total": total, "idle": idle, "idle_rate": round(idle / total, 4) if total else 0.0}


def _row(line: dict) -> list:
    return [
        line["name"],
        line["count"],
        yuan(line["original_fen"]),
        yuan(line["accumulated_fen"]),
        yuan(line["net_fen"]),
        yuan(line["month_fen"]),
        yuan(line["year_fen"]),
        line["idle"],
        f"{line['idle_rate'] * 100:.1f}%",
    ]


async def summary_workbook(scope: Scope, on: date) -> bytes:
    """The summary as an .xlsx file: a sheet by unit and a sheet by class, with their totals."""
    report = await summary(scope, on)
    figures = ["资产数", "原值（元）", "累计折旧（元）", "净值（元）", "本月折旧（元）", "本年折旧（元）"]
    figures += ["闲置（含在仓）", "闲置率"]
    caption = f"资产价值与折旧 · 截至 {on.isoformat()}（不含已处置）"
    footer = _row(report["total"])
    return await workbook(
        [
            Sheet("按单位", ["单位", *figures], [_row(x) for x in report["units"]], caption, footer),
            Sheet("按分类", ["分类", *figures], [_row(x) for x in report["classes"]], caption, footer),
        ]
    )
