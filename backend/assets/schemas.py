"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
