"""Money as people read and type it: integer fen shown as yuan, and yuan typed in a form
turned into fen exactly (Decimal, never float)."""

from __future__ import annotations

import re
from decimal import Decimal

_YUAN = re.compile(r"^-?\d{1,9}(\.\d{1,2})?$")


def format_yuan(fen: int) -> str:
    """12345 -> "123.45", with thousands separators."""
    return f"{Decimal(fen) / 100:,.2f}"


def yuan_text(fen: int) -> str:
    """12345 -> "123.45": for a form field or a message, without separators."""
    return f"{Decimal(fen) / 100:.2f}"


def yuan(fen: int) -> Decimal:
    """12345 -> Decimal("123.45"): exact, for a spreadsheet's number cell."""
    return Decimal(fen) / 100


def parse_yuan(text: str) -> int:
    """ "12.5" -> 1250. At most two decimals; anything else raises ValueError."""
    cleaned = text.strip().replace(",", "").replace("，", "").removeprefix("¥").removeprefix("￥").strip()
    if not _YUAN.match(cleaned):
        raise ValueError(f"not an amount in yuan: {text!r}")
    return int(Decimal(cleaned) * 100)
