"""A receipt and its layout as lines of text for 58 mm or 80 mm paper.

Layout counts columns the way a Chinese receipt printer prints: ASCII takes one column and
every other character (Chinese, full-width punctuation, ×, ·) two, since the printer prints
each multi-byte GB18030 character in a full-width cell. Lines are never wider than the paper,
so the printer never wraps a line in the middle of a label or an amount.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# Font A (12x24 dots) on 384 and 576 printable dots: the paper widths kiosks use.
PAPER_COLUMNS = {58: 32, 80: 48}


def paper_columns(width_mm: int) -> int:
    try:
        return PAPER_COLUMNS[width_mm]
    except KeyError:
        raise ValueError(f"paper width must be 58 or 80 mm, not {width_mm!r}") from None


@dataclass(frozen=True)
class Fen:
    """An amount of money in integer fen (分), printed as yuan ("12.50")."""

    amount: int

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError(f"an amount is whole fen, not {self.amount!r}")

    def __str__(self) -> str:
        yuan, fen = divmod(abs(self.amount), 100)
        return f"{'-' if self.amount < 0 else ''}{yuan}.{fen:02d}"


@dataclass(frozen=True)
class Receipt:
    """A printed receipt (小票): the canteen's name, labelled lines, the time and transaction number,
    and optionally a QR code printed under them (a visitor's pass slip carries its signed token)."""

    title: str
    lines: Sequence[tuple[str, str | Fen]]
    time: datetime
    transaction_no: str
    qr: str = ""


def char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    # Ambiguous-width characters (×, ·, —, “”) are double-byte in GB18030, so the printer prints
    # them full width: the East Asian reading of "ambiguous".
    return 2 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 1


def display_width(text: str) -> int:
    return sum(map(char_width, text))


def wrap(text: str, columns: int) -> list[str]:
    """Cut text into pieces at most `columns` wide, never splitting a character."""
    pieces, piece, width = [], "", 0
    for char in text:
        if width + char_width(char) > columns:
            pieces.append(piece)
            piece, width = "", 0
        piece += char
        width += char_width(char)
    return [*pieces, piece]


def pad_left(text: str, columns: int) -> str:
    return " " * (columns - display_width(text)) + text


def label_and_value(label: str, value: str, columns: int) -> list[str]:
    """The label on the left and the value on the right; on lines of their own when too long."""
    gap = columns - display_width(label) - display_width(value)
    if gap >= 1:
        return [label + " " * gap + value]
    return [*wrap(label, columns), *(pad_left(piece, columns) for piece in wrap(value, columns))]


def render_receipt(receipt: Receipt, columns: int) -> list[str]:
    rule = "-" * columns
    title = [" " * ((columns - display_width(piece)) // 2) + piece for piece in wrap(receipt.title, columns)]
    body = [line for label, value in receipt.lines for line in label_and_value(label, str(value), columns)]
    footer = [
        *label_and_value("时间", receipt.time.strftime("%Y-%m-%d %H:%M:%S"), columns),
        *label_and_value("流水号", receipt.transaction_no, columns),
    ]
    return [*title, rule, *body, rule, *footer]
