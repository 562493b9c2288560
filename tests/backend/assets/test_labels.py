"""QR labels: the A4 sheet holds one label per asset asked for, 21 to a page, each with the
asset's QR code (its address, module for module), number, Chinese name and unit in an embedded
CJK font; rooms get their own sheet; bad selections and a missing font are refused clearly; and
the console's label pages print for whoever may see the assets, within their units."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from backend.assets.models import Asset
from backend.assets.service import labels, qr
from backend.modules import settings_of
from tests.helpers import console_admin

PT_PER_MM = 72 / 25.4
A4_HEIGHT_PT = 297 * PT_PER_MM
LITERAL = re.compile(rb"\(((?:\\.|[^\\)])*)\) Tj", re.S)
RECT = re.compile(rb"([\d.]+) ([\d.]+) ([\d.]+) (-[\d.]+) re f")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _streams(pdf: bytes) -> list[bytes]:
    out = []
    for body in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(body))
        except zlib.error:
            out.append(body)
    return out


def _unescape(literal: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(literal):
        if literal[i : i + 1] == b"\\":
            following = literal[i + 1 : i + 2]
            octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            out += ESCAPES.get(following, following)
            i += 2
        else:
            out.append(literal[i])
            i += 1
    return bytes(out)


def pages_text(pdf: bytes) -> list[str]:
    """The text drawn on each page, read back through the font's ToUnicode map (two-byte codes)."""
    streams = _streams(pdf)
    to_unicode: dict[int, str] = {}
    for stream in streams:
        for code, char in re.findall(rb"<([0-9A-F]{4})> <([0-9A-F]{4,8})>", stream):
            to_unicode[int(code, 16)] = bytes.fromhex(char.decode()).decode("utf-16-be")
    pages = []
    for stream in streams:
        if b" Tj" not in stream:
            continue
        lines = []
        for literal in LITERAL.findall(stream):
            raw = _unescape(literal)
            lines.append(
                "".join(to_unicode.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw), 2))
            )
        pages.append("\n".join(lines))
    return pages


def qr_modules(pdf: bytes, page: int, x_mm: float, y_mm: float, size_mm: float, count: int) -> list[list[bool]]:
    """The QR code drawn on `page` in the square at (x_mm, y_mm) of `size_mm`, read back from its
    rectangles as `count` × `count` modules."""
    stream = [s for s in _streams(pdf) if b" re f" in s][page]
    cell = size_mm * PT_PER_MM / count
    left, top = x_mm * PT_PER_MM, A4_HEIGHT_PT - y_mm * PT_PER_MM
    grid = [[False] * count for _ in range(count)]
    for x, y, w, h in RECT.findall(stream):
        col, row = (float(x) - left) / cell, (top - float(y)) / cell
        if -0.1 < col < count and -0.1 < row < count:
            for r in range(round(row), round(row + -float(h) / cell)):
                for c in range(round(col), round(col + float(w) / cell)):
                    grid[r][c] = True
    return grid


def base(runtime) -> str:
    return settings_of(runtime.settings, "assets").qr_base_url


async def test_a_sheet_has_one_label_per_asset_with_its_qr_number_name_and_unit(assets_world, runtime):
    # given three cards, asked for in an order of our own
    pc, desk, chair = (assets_world.assets[k] for k in ("pc", "desk", "chair"))
    # when
    pdf = await labels.label_sheet_pdf([chair.id, pc.id, desk.id], base(runtime))
    # then: one A4 page, the CJK font embedded as a subset, the labels in the order asked
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    assert re.search(rb"/MediaBox\s*\[\s*0(\.0+)? 0(\.0+)? 595\.2\d* 841\.8\d*\s*\]", pdf)
    assert re.search(rb"/FontFile3|/FontFile2", pdf) and re.search(rb"/BaseFont /[A-Z]{6}\+", pdf)
    text = pages_text(pdf)[0]
    assert text.index("办公椅") < text.index("台式计算机") < text.index("办公桌")
    for asset in (pc, desk, chair):
        assert asset.asset_no in text
    unbroken = text.replace("\n", "")  # a long unit name wraps onto a second line
    assert "市发展和改革委员会·办公室" in unbroken and "市财政局·办公室" in unbroken
    # and the first label's QR code is the chair's address, module for module
    expected = labels._matrix(qr.asset_qr_text(base(runtime), chair.asset_no))
    x, y = labels.ASSET_GRID.origin(0)
    size = labels.ASSET_QR_MM
    drawn = qr_modules(pdf, 0, x + labels.ASSET_QR_LEFT, y + (labels.ASSET_GRID.height - size) / 2, size, len(expected))
    assert drawn == [[bool(m) for m in row] for row in expected]


async def test_a_long_selection_runs_to_more_pages_and_a_long_name_is_cut_with_an_ellipsis(assets_world, runtime):
    pc = assets_world.assets["pc"]
    await Asset.filter(id=pc.id).update(name="超长名称的资产" * 10)
    ids = [a.id for a in assets_world.assets.values()]
    many = ids * 6  # the same four cards asked for again are printed once each
    pdf = await labels.label_sheet_pdf(many, base(runtime))
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 1
    assert "…" in pages_text(pdf)[0]
    rows = [labels.Label(f"{base(runtime)}/q/a/ZC{i:08d}", f"资产{i}", f"ZC{i:08d}", "单位") for i in range(1, 44)]
    sheet = labels.render_sheet(rows, labels.ASSET_GRID, "资产标签")
    assert len(re.findall(rb"/Type\s*/Page\b", sheet)) == 3  # 21 + 21 + 1
    assert "ZC00000043" in pages_text(sheet)[2]


async def test_unknown_assets_an_empty_or_oversized_selection_are_refused(assets_world, runtime):
    with pytest.raises(Exception) as unknown:
        await labels.label_sheet_pdf([assets_world.assets["pc"].id, 999_999], base(runtime))
    assert unknown.value.code == "assets.asset_not_found"
    with pytest.raises(Exception) as empty:
        await labels.label_sheet_pdf([], base(runtime))
    assert empty.value.code == "assets.labels_none_chosen"
    with pytest.raises(Exception) as too_many:
        await labels.label_sheet_pdf(list(range(1, labels.MAX_LABELS + 2)), base(runtime))
    assert too_many.value.code == "assets.labels_too_many" and "1000" in too_many.value.message


async def test_a_building_room_sheet_has_each_room_with_its_qr(assets_world, runtime):
    rooms = await labels.building_rooms(assets_world.places["A座"])
    assert set(rooms) == {assets_world.places[n] for n in ("101", "301", "302", "303")}
    pdf = await labels.room_sheet_pdf(rooms, base(runtime))
    text = pages_text(pdf)[0]
    assert "A座 3楼 301" in text and "A座 1楼 101" in text
    first = labels._matrix(qr.room_qr_text(base(runtime), rooms[0]))
    x, y = labels.ROOM_GRID.origin(0)
    size = labels.ROOM_QR_MM
    assert qr_modules(pdf, 0, x + (labels.ROOM_GRID.width - size) / 2, y + labels.ROOM_QR_TOP, size, len(first)) == [
        [bool(m) for m in row] for row in first
    ]
    with pytest.raises(Exception) as floor:
        await labels.room_sheet_pdf([assets_world.places["A座 3楼"]], base(runtime))
    assert floor.value.code == "assets.label_room_invalid"
    with pytest.raises(Exception) as not_building:
        await labels.building_rooms(assets_world.places["301"])
    assert not_building.value.code == "assets.label_building_not_found"


async def test_without_a_cjk_font_the_sheet_is_refused_with_a_clear_message(assets_world, runtime, monkeypatch):
    monkeypatch.setattr(labels, "cjk_font", lambda: None)
    with pytest.raises(Exception) as missing:
        await labels.label_sheet_pdf([assets_world.assets["pc"].id], base(runtime))
    assert missing.value.code == "assets.label_font_missing" and "中文字体" in missing.value.message


def test_fontconfig_listing_prefers_a_simplified_chinese_sans_face():
    listing = "\n".join(
        [
            "/f/NotoSerifCJK-Regular.ttc|2|Noto Serif CJK SC|CFF",
            "/f/NotoSansCJK-Regular.ttc|0|Noto Sans CJK JP|CFF",
            "/f/NotoSansCJK-Regular.ttc|7|Noto Sans Mono CJK SC|CFF",
            "/f/NotoSansCJK-Regular.ttc|2|Noto Sans CJK SC|CFF",
            "/f/wenquanyi.pcf|0|WenQuanYi Bitmap Song|PCF",
        ]
    )
    assert labels._fontconfig_choice(listing) == labels.Font("/f/NotoSansCJK-Regular.ttc", 2)
    assert labels._fontconfig_choice("/f/x.pcf|0|Bitmap|PCF") is None


def test_the_qr_png_is_a_png():
    assert labels.qr_png("http://localhost:8000/q/a/ZC00000001").startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
async def test_the_sheet_renders_as_an_a4_page(assets_world, runtime, tmp_path: Path):
    """Drawn by another program than the one that wrote it (poppler): the page comes out A4."""
    pdf = await labels.label_sheet_pdf([a.id for a in assets_world.assets.values()], base(runtime))
    (tmp_path / "labels.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-singlefile", "labels.pdf", "page"], cwd=tmp_path, check=True)
    png = (tmp_path / "page.png").read_bytes()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert abs(width - 210 / 25.4 * 50) < 1.5 and abs(height - 297 / 25.4 * 50) < 1.5


# ---- console pages ------------------------------------------------------------------------------


async def test_the_label_pages_print_for_a_viewer_and_refuse_anyone_else(client, assets_world):
    await console_admin(client, "fleet", ["fleet.view_fleet"])
    assert (await client.get("/console/assets/labels")).status_code == 403
    csrf = await console_admin(client, "viewer", ["assets.view_assets"])
    page = await client.get("/console/assets/labels")
    assert page.status_code == 200 and "打印资产标签" in page.text and "A座" in page.text
    pc, desk = assets_world.assets["pc"], assets_world.assets["desk"]
    typed = await client.post(
        "/console/assets/labels.pdf", data={"csrf_token": csrf, "numbers": f"{pc.asset_no}，{desk.asset_no.lower()}"}
    )
    assert typed.status_code == 200 and typed.headers["content-type"] == "application/pdf"
    assert desk.asset_no in pages_text(typed.content)[0]
    ticked = await client.post(
        "/console/assets/labels.pdf", data={"csrf_token": csrf, "asset_ids": [str(desk.id), str(pc.id)]}
    )
    assert pages_text(ticked.content)[0].index(desk.asset_no) < pages_text(ticked.content)[0].index(pc.asset_no)
    unknown = await client.post("/console/assets/labels.pdf", data={"csrf_token": csrf, "numbers": "ZC99999999"})
    assert unknown.status_code == 422 and "没有编号为 ZC99999999 的资产" in unknown.text
    rooms = await client.get(f"/console/assets/labels/rooms.pdf?building={assets_world.places['A座']}")
    assert rooms.status_code == 200 and "A座 3楼 302" in pages_text(rooms.content)[0]
    png = await client.get(f"/console/assets/qr/{pc.asset_no}")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    opened = await client.get(f"/console/assets/q/a/{pc.asset_no}", follow_redirects=False)
    assert opened.status_code == 302 and opened.headers["location"] == f"/console/assets/cards/{pc.id}"


async def test_a_unit_admin_prints_only_its_own_units_labels(client, assets_world):
    csrf = await console_admin(client, "czj", ["assets.view_assets"], unit_code="CZJ")
    own = assets_world.assets["chair"]  # CZJ-BGS
    other = assets_world.assets["pc"]  # FGW-BGS
    allowed = await client.post("/console/assets/labels.pdf", data={"csrf_token": csrf, "numbers": own.asset_no})
    assert allowed.status_code == 200
    refused = await client.post(
        "/console/assets/labels.pdf", data={"csrf_token": csrf, "numbers": f"{own.asset_no} {other.asset_no}"}
    )
    assert refused.status_code == 404 and "资产不存在" in refused.text


async def test_printing_without_the_csrf_token_is_refused(client, assets_world):
    await console_admin(client, "viewer", ["assets.view_assets"])
    answer = await client.post("/console/assets/labels.pdf", data={"numbers": assets_world.assets["pc"].asset_no})
    assert answer.status_code == 403 and answer.headers["content-type"] != "application/pdf"
