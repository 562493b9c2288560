"""Reading QR codes back: this platform's asset and room codes name what they were made for,
another system's code and a damaged one of ours are told apart with clear errors; and the page a
code opens in a phone's browser shows what the thing is without money or personal data."""

from __future__ import annotations

import pytest

from backend.assets.service import qr
from backend.core.errors import AppError

BASE = "https://hq.example.gov.cn"


def test_an_asset_and_a_room_code_read_back_as_what_they_name():
    assert qr.parse(BASE, qr.asset_qr_text(BASE, "ZC00000042")) == qr.QrTarget("asset", asset_no="ZC00000042")
    assert qr.parse(BASE, f"  {qr.room_qr_text(BASE, 17)}\n") == qr.QrTarget("room", place_id=17)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "https://other.example.com/q/a/ZC00000001",  # another system's address
        "ZC00000001",  # a bare number printed by another system
        "6901234567892",  # a product's barcode
        "http://hq.example.gov.cn/q/a/ZC00000001",  # our host over another scheme is not ours
        BASE + "/q/a/ZC00000001" + "x" * 300,
    ],
)
def test_a_code_of_another_system_is_foreign(text):
    with pytest.raises(AppError) as refused:
        qr.parse(BASE, text)
    assert refused.value.code == "assets.qr_foreign" and refused.value.status == 422


@pytest.mark.parametrize(
    "text",
    [
        BASE + "/q/a/",
        BASE + "/q/a/12345678",  # not an asset number
        BASE + "/q/a/ZC123",  # too short
        BASE + "/q/r/0",
        BASE + "/q/r/2147483648",
        BASE + "/q/r/abc",
        BASE + "/q/x/ZC00000001",
        BASE + "/q/a/ZC00000001/extra",
    ],
)
def test_a_damaged_code_of_ours_is_invalid(text):
    with pytest.raises(AppError) as refused:
        qr.parse(BASE, text)
    assert refused.value.code == "assets.qr_invalid"


async def test_the_asset_page_shows_what_it_is_without_value_or_custodian(client, assets_world):
    pc = assets_world.assets["pc"]  # custodian 张伟, worth ¥6,000.00
    page = await client.get(f"/q/a/{pc.asset_no}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for shown in ("台式计算机", pc.asset_no, "计算机", "市发展和改革委员会·办公室", "A座 3楼 301", "在用", "随手拍"):
        assert shown in page.text, shown
    for hidden in ("张伟", "6000", "6,000", "600000"):
        assert hidden not in page.text, hidden
    assert f'href="/console/assets/q/a/{pc.asset_no}"' in page.text
    assert "Content-Security-Policy" in page.headers


async def test_the_room_page_names_the_room_and_counts_its_assets(client, assets_world):
    page = await client.get(f"/q/r/{assets_world.places['301']}")
    assert page.status_code == 200 and "A座 3楼 301" in page.text and "2 件" in page.text


async def test_unknown_or_damaged_codes_open_a_page_that_says_so(client, assets_world):
    for path, status in (
        ("/q/a/ZC99999999", 404),
        ("/q/a/NOTANASSET", 404),
        (f"/q/r/{assets_world.places['A座 3楼']}", 404),  # a floor is not a room
        ("/q/r/99999", 404),
    ):
        page = await client.get(path)
        assert page.status_code == status, path
        assert "text/html" in page.headers["content-type"] and 'data-testid="qr-missing"' in page.text, path


async def test_an_admin_following_the_console_link_logs_in_and_lands_on_the_card(client, assets_world):
    pc = assets_world.assets["pc"]
    answer = await client.get(f"/console/assets/q/a/{pc.asset_no}", follow_redirects=False)
    assert answer.status_code == 302 and answer.headers["location"].startswith("/console/login?next=")
