"""QR labels of assets and rooms: a QR code as a PNG, and printable A4 sheets (PDF) of labels.

An asset's label carries its QR code (the card's address, `qr.asset_qr_text`), its number, its
name in Chinese and its unit, on the common 21-label A4 sheet (3 × 7 labels of 63.5 × 38.1 mm);
a room's label (for stock-taking, `qr.room_qr_text`) is larger, 2 × 3 on a sheet, with the
room's full name. QR modules are drawn as vector rectangles, so they print sharp at any size.

Chinese needs a CJK font in the PDF. None is shipped in the repository (Noto Sans CJK is 16 MB
and the page tests need it installed anyway, see scripts/test-prerequisites.sh): the system's is
found through fontconfig (Debian: `apt-get install fonts-noto-cjk`), and without one the sheet
is refused with assets.label_font_missing instead of printing empty boxes. fpdf2 embeds only the
glyphs used, and takes CFF-flavoured OpenType collections such as Noto's .ttc (reportlab does not).

Drawing is CPU work (about 4 ms a label, most of it choosing the QR code's mask): it runs in a
worker thread so that the server keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from fpdf import FPDF

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import Asset
from backend.assets.service import qr
from backend.assets.service.reports import unit_labels
from backend.core.permissions import Scope
from backend.places import service as places

# More labels than this in one sheet are refused: about 50 pages, a few seconds of drawing.
MAX_LABELS = 1000
MAX_ROOMS = 300

# Where distributions put a CJK font when fontconfig cannot be asked: (file, face in a collection).
KNOWN_FONTS = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # Debian, Ubuntu: fonts-noto-cjk (SC face)
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Fedora, RHEL
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),  # Arch, Alpine
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)


@dataclass(frozen=True)
class Font:
    path: str
    index: int


def _fontconfig_choice(listing: str) -> Font | None:
    """The best Simplified Chinese sans-serif face of `fc-list :lang=zh` output (lines of
    "file|index|family|fontformat"): a sans before a serif, an SC/CN face before other CJK faces,
    a proportional face before a monospaced one; bitmap fonts are passed over."""
    best: tuple[tuple[int, ...], Font] | None = None
    for line in listing.splitlines():
        parts = line.split("|")
        if len(parts) != 4 or not parts[1].isdigit():
            continue
        path, index, family, form = parts
        if not path.lower().endswith((".ttf", ".otf", ".ttc", ".otc")) or form not in ("TrueType", "CFF"):
            continue
        rank = (
            "Serif" not in family,
            "SC" in family or "CN" in family or "GB" in family,
            "Mono" not in family,
            "Regular" in path or "regular" in path,
        )
        key = tuple(int(x) for x in rank)
        if best is None or key > best[0]:
            best = (key, Font(path, int(index)))
    return best[1] if best else None


@lru_cache(maxsize=1)
def cjk_font() -> Font | None:
    """The CJK font labels are printed with (None: the system has none); looked up once."""
    if shutil.which("fc-list"):
        listing = subprocess.run(
            ["fc-list", ":lang=zh", "-f", "%{file}|%{index}|%{family[0]}|%{fontformat}\n"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        found = _fontconfig_choice(listing)
        if found:
            return found
    for path, index in KNOWN_FONTS:
        if Path(path).is_file():
            return Font(path, index)
    return None


def _require_font() -> Font:
    font = cjk_font()
    if font is None:
        raise AssetsError.LABEL_FONT_MISSING.error()
    return font


# ---- QR codes -----------------------------------------------------------------------------------


def _matrix(text: str) -> list[list[bool]]:
    # M level: a label scratched or stained on a quarter of a corner still reads.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def qr_png(text: str, box_px: int = 8) -> bytes:
    """`text` as a QR code PNG (black on white, with the standard 4-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_px, border=4)
    code.add_data(text)
    code.make(fit=True)
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()


def _runs(matrix: list[list[bool]]) -> list[tuple[int, int, int, int]]:
    """The dark modules as rectangles (column, row, width, height): dark runs of a row, a run
    repeated on the rows below merged into one taller rectangle (fewer shapes, and no hairline
    seams between rows in a viewer's anti-aliasing)."""
    open_runs: dict[tuple[int, int], int] = {}  # (start, end) -> first row
    shapes = []
    for row, line in enumerate([*matrix, []]):
        here = set()
        col = 0
        while col < len(line):
            if line[col]:
                start = col
                while col < len(line) and line[col]:
                    col += 1
                here.add((start, col))
            else:
                col += 1
        for run in list(open_runs):
            if run not in here:
                first = open_runs.pop(run)
                shapes.append((run[0], first, run[1] - run[0], row - first))
        for run in here:
            open_runs.setdefault(run, row)
    return shapes


def _draw_qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    matrix = _matrix(text)
    cell = size / len(matrix)
    pdf.set_fill_color(0)
    for col, row, width, height in _runs(matrix):
        pdf.rect(x + col * cell, y + row * cell, width * cell, height * cell, style="F")


# ---- sheets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grid:
    """A sheet of labels on A4 (mm): columns × rows of labels, the first one's top-left corner,
    and the pitch from one label to the next."""

    columns: int
    rows: int
    left: float
    top: float
    width: float
    height: float
    pitch_x: float
    pitch_y: float

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        return self.left + (slot % self.columns) * self.pitch_x, self.top + (slot // self.columns) * self.pitch_y


# The common A4 sheet of 21 labels (63.5 × 38.1 mm, as Avery L7160 and its Chinese equivalents).
ASSET_GRID = Grid(3, 7, 7.2, 15.15, 63.5, 38.1, 66.0, 38.1)
# Room labels: six to a sheet, to stick by the door at eye height.
ROOM_GRID = Grid(2, 3, 10.0, 13.5, 92.0, 88.0, 98.0, 91.0)
# The QR code's size and place on a label (mm): about four modules of white around it, as the
# QR standard asks, so that a phone finds it next to the label's edge and text.
ASSET_QR_MM, ASSET_QR_LEFT = 28.0, 4.0
ROOM_QR_MM, ROOM_QR_TOP = 56.0, 6.0


@dataclass(frozen=True)
class Label:
    qr_text: str
    title: str  # the asset's name or the room's full name
    number: str  # the asset number, or "房间 <id>"
    note: str  # the unit


def _fit(pdf: FPDF, text: str, width: float, lines: int) -> list[str]:
    """`text` broken into at most `lines` lines of `width` at the current font, the last one
    cut with "…" if it does not all fit (Chinese has no spaces to break at: by character,
    preferring a break after a "·" or a space)."""
    out: list[str] = []
    rest = text.strip()
    while rest and len(out) < lines:
        end = len(rest)
        while end > 1 and pdf.get_string_width(rest[:end]) > width:
            end -= 1
        if len(out) == lines - 1 and end < len(rest):
            while end > 1 and pdf.get_string_width(rest[:end] + "…") > width:
                end -= 1
            out.append(rest[:end] + "…")
            return out
        if end < len(rest):
            # Rather at a unit's "·" or a space, if one is in the second half of the line.
            soft = max(rest.rfind("·", 0, end), rest.rfind(" ", 0, end)) + 1
            end = soft if soft > end // 2 else end
        out.append(rest[:end])
        rest = rest[end:].lstrip()
    return out


def _new_pdf(font: Font, title: str) -> FPDF:
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("机关事务后勤服务平台")
    pdf.add_font("cjk", fname=font.path, collection_font_number=font.index)
    pdf.set_draw_color(190)
    pdf.set_line_width(0.2)
    return pdf


def _asset_label(pdf: FPDF, label: Label, x: float, y: float, grid: Grid) -> None:
    pdf.rect(x, y, grid.width, grid.height, round_corners=True, corner_radius=2)
    qr_size = ASSET_QR_MM
    _draw_qr(pdf, label.qr_text, x + ASSET_QR_LEFT, y + (grid.height - qr_size) / 2, qr_size)
    text_x = x + ASSET_QR_LEFT + qr_size + 2.5
    text_w = grid.width - (text_x - x) - 3
    pdf.set_text_color(0)
    pdf.set_font("cjk", size=9.5)
    line_y = y + 4.5
    for line in _fit(pdf, label.title, text_w, 3):
        pdf.set_xy(text_x, line_y)
        pdf.cell(text_w, 4.6, line)
        line_y += 4.6
    pdf.set_font("cjk", size=10)
    pdf.set_xy(text_x, y + 22)
    pdf.cell(text_w, 5, label.number)
    pdf.set_font("cjk", size=7)
    pdf.set_text_color(70)
    for i, line in enumerate(_fit(pdf, label.note, text_w, 2)):
        pdf.set_xy(text_x, y + 28 + i * 3.4)
        pdf.cell(text_w, 3.4, line)


def _room_label(pdf: FPDF, label: Label, x: float, y: float, grid: Grid) -> None:
    pdf.rect(x, y, grid.width, grid.height, round_corners=True, corner_radius=3)
    qr_size = ROOM_QR_MM
    _draw_qr(pdf, label.qr_text, x + (grid.width - qr_size) / 2, y + ROOM_QR_TOP, qr_size)
    pdf.set_text_color(0)
    pdf.set_font("cjk", size=14)
    line_y = y + qr_size + 9
    for line in _fit(pdf, label.title, grid.width - 8, 2):
        pdf.set_xy(x + 4, line_y)
        pdf.cell(grid.width - 8, 6.5, line, align="C")
        line_y += 6.5
    pdf.set_font("cjk", size=8)
    pdf.set_text_color(70)
    pdf.set_xy(x + 4, y + grid.height - 7.5)
    pdf.cell(grid.width - 8, 4, f"{label.number}　盘点时请先扫此码", align="C")


def render_sheet(labels: Sequence[Label], grid: Grid, title: str, room: bool = False) -> bytes:
    """The labels on as many A4 pages as they need, as PDF bytes (synchronous: CPU work)."""
    pdf = _new_pdf(_require_font(), title)
    draw = _room_label if room else _asset_label
    for i, label in enumerate(labels):
        slot = i % grid.per_page
        if slot == 0:
            pdf.add_page()
        x, y = grid.origin(slot)
        draw(pdf, label, x, y, grid)
    return bytes(pdf.output())


def _unique(ids: Sequence[int], limit: int) -> list[int]:
    chosen = list(dict.fromkeys(ids))
    if not chosen:
        raise AssetsError.LABELS_NONE_CHOSEN.error()
    if len(chosen) > limit:
        raise AssetsError.LABELS_TOO_MANY.error(limit=limit)
    return chosen


async def asset_labels(asset_ids: Sequence[int], base_url: str) -> list[Label]:
    """The labels of these assets in the order given (every one must exist and be numbered)."""
    chosen = _unique(asset_ids, MAX_LABELS)
    numbered = Asset.filter(id__in=chosen, asset_no__not_isnull=True)
    rows = {r["id"]: r for r in await numbered.values("id", "asset_no", "name", "unit_id")}
    if len(rows) != len(chosen):
        raise AssetsError.ASSET_NOT_FOUND.error()
    units = await unit_labels({r["unit_id"] for r in rows.values()})
    return [
        Label(
            qr.asset_qr_text(base_url, rows[i]["asset_no"]),
            rows[i]["name"],
            rows[i]["asset_no"],
            units.get(rows[i]["unit_id"], ""),
        )
        for i in chosen
    ]


async def label_sheet_pdf(asset_ids: list[int], base_url: str) -> bytes:
    """An A4 PDF of the labels of these assets (at most MAX_LABELS), 21 to a page, in the order
    given. Raises assets.asset_not_found if one is not a numbered card, assets.label_font_missing
    without a CJK font."""
    labels = await asset_labels(asset_ids, base_url)
    return await asyncio.to_thread(render_sheet, labels, ASSET_GRID, "资产标签")


async def room_labels(place_ids: Sequence[int], base_url: str) -> list[Label]:
    """The QR labels of these rooms, in the order given (each must be an active room)."""
    chosen = _unique(place_ids, MAX_ROOMS)
    rooms = {p["id"]: p for p in await places.tree() if p["kind"] == "room"}
    if any(i not in rooms for i in chosen):
        raise AssetsError.LABEL_ROOM_INVALID.error()
    return [Label(qr.room_qr_text(base_url, i), rooms[i]["full_name"], f"房间 {i}", "") for i in chosen]


async def room_sheet_pdf(place_ids: list[int], base_url: str) -> bytes:
    """An A4 PDF of room QR labels for stock-taking, six to a page: a checker scans the room's
    label first, then the assets in it."""
    labels = await room_labels(place_ids, base_url)
    return await asyncio.to_thread(render_sheet, labels, ROOM_GRID, "房间盘点二维码", True)


async def building_rooms(building_id: int) -> list[int]:
    """The active rooms of a building by full name, for its room sheet (assets.place_not_found
    for anything but a building)."""
    tree = await places.tree()
    building = next((p for p in tree if p["id"] == building_id and p["kind"] == "building"), None)
    if building is None:
        raise AssetsError.LABEL_BUILDING_NOT_FOUND.error()
    within = set(await places.ids_within(building_id))
    return [p["id"] for p in sorted(tree, key=lambda p: p["full_name"]) if p["kind"] == "room" and p["id"] in within]


NUMBER_SPLIT = re.compile(r"[\s,，;；、]+")


async def ids_of_numbers(text: str) -> list[int]:
    """The ids of the assets whose numbers are typed in `text` (separated by spaces, new lines or
    commas), in the order typed; assets.asset_not_found names the first unknown number."""
    numbers = list(dict.fromkeys(n.upper() for n in NUMBER_SPLIT.split(text or "") if n))
    if not numbers:
        raise AssetsError.LABELS_NONE_CHOSEN.error()
    if len(numbers) > MAX_LABELS:
        raise AssetsError.LABELS_TOO_MANY.error(limit=MAX_LABELS)
    found = dict(await Asset.filter(asset_no__in=numbers).values_list("asset_no", "id"))
    unknown = [n for n in numbers if n not in found]
    if unknown:
        raise AssetsError.LABEL_NUMBER_UNKNOWN.error(number=unknown[0][:20])
    return [found[n] for n in numbers]


async def require_in_scope(scope: Scope, asset_ids: Sequence[int]) -> None:
    """Raises assets.asset_not_found unless every one of these assets is of a unit `scope`
    reaches (an asset office prints its own labels only)."""
    unit_ids = await people.units_within(scope)
    if unit_ids is None:
        return
    outside = await Asset.filter(id__in=list(asset_ids)).exclude(unit_id__in=unit_ids).exists()
    if outside:
        raise AssetsError.ASSET_NOT_FOUND.error()
