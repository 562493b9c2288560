"""Reading an uploaded Excel workbook row by row for an import (assets, meter readings): the file
checked before openpyxl opens it (size, that it is a zip, and what it unpacks to), the errors
that mean "not a readable workbook", and a problem found in one cell of one row."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

# What openpyxl and zipfile raise for a damaged or disguised file.
UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
)


class ImportFileError(Exception):
    """The file as a whole cannot be read (not a workbook, no header, too large, empty)."""


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


def sheet_rows(content: bytes, max_bytes: int, max_unpacked_bytes: int) -> Iterator[tuple]:
    """The first sheet's rows as values. An .xlsx is a zip: one that unpacks into more than
    `max_unpacked_bytes` is refused before it is opened."""
    if len(content) > max_bytes:
        raise ImportFileError(f"文件超过 {max_bytes // 1024 // 1024} MB")
    if content[:2] != b"PK":
        raise ImportFileError("不是有效的 Excel (.xlsx) 文件，旧版 .xls 请另存为 .xlsx")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if sum(info.file_size for info in archive.infolist()) > max_unpacked_bytes:
            raise ImportFileError("文件解压后过大")
    book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()
