"""Every workbook the platform writes looks alike: amounts in yuan formatted as ¥#,##0.00, the
header row frozen, columns wide enough for Chinese text; so every console export gets it."""

import io

from openpyxl import load_workbook

from backend.core.money import yuan
from backend.core.spreadsheet import MONEY_FORMAT, Sheet, display_width, table_workbook, workbook
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import console_admin


async def test_amounts_in_yuan_are_money_cells_and_the_header_stays_in_place():
    body = await table_workbook("消费记录", ["就餐人", "金额（元）", "笔数"], [["张伟", yuan(123456), 3]])
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A2"
    assert sheet["B2"].value == 1234.56 and sheet["B2"].number_format == MONEY_FORMAT
    assert sheet["C2"].number_format == "General" and sheet["A1"].font.bold


async def test_a_caption_moves_the_frozen_header_down_and_a_footer_is_bold():
    body = await workbook(
        [Sheet("日报", ["食堂", "金额（元）"], [["第一食堂", yuan(1500)]], "食堂日报", ["合计", yuan(1500)])]
    )
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet.freeze_panes == "A3" and sheet["A1"].value == "食堂日报" and sheet["A2"].value == "食堂"
    assert sheet["A4"].font.bold and sheet["B4"].number_format == MONEY_FORMAT


async def test_columns_are_wide_enough_for_chinese_text_and_a_sheet_name_excel_refuses_is_mended():
    name = "市发展和改革委员会发展规划处"
    body = await workbook([Sheet("办公室/财务?", ["单位"], [[name]])])
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["办公室_财务_"]
    assert book.active.column_dimensions["A"].width >= display_width(name) == 28


async def test_a_console_list_export_formats_its_money_columns(client, terminal):
    await cardholder("D0001", "AA000001", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    await console_admin(client, "viewer", ["canteen.view_payment"])
    export = await client.get("/console/canteen/payments/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    amount = sheet.cell(row=2, column=header.index("金额（元）") + 1)
    assert amount.value == 15 and amount.number_format == MONEY_FORMAT and sheet.freeze_panes == "A2"
