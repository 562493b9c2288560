"""Mainland number plates (GA 36-2018), checked and written one way before they are stored.

What a clerk types is normalised first: spaces and the dot some print between the issuing
letter and the serial ("浙A·12345") go, latin letters become capitals. Then a plate is one of:

- ordinary (7 characters): province + issuing letter + five letters or digits; the last may
  instead be 挂 (trailer), 学 (learner), 警 (police), 港 or 澳 (Guangdong's cross-border cars);
- small new-energy (8, green): province + issuing letter + a type letter + a letter or digit +
  four digits. The type letter was D (pure electric) or F (other) at first; since 2021 the
  series A–E are pure electric and F–K the others, so A–K (no I) are all valid;
- large new-energy (8): province + issuing letter + five digits + D or F.

Letters I and O never appear (they read as 1 and 0). Anything else is refused."""

from __future__ import annotations

import re

from backend.fleet.errors import FleetError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTER = "A-HJ-NP-Z"
SERIAL = f"[{LETTER}0-9]"
PREFIX = f"[{PROVINCES}][{LETTER}]"

ORDINARY = re.compile(f"{PREFIX}(?:{SERIAL}{{5}}|{SERIAL}{{4}}[挂学警港澳])")
SMALL_NEW_ENERGY = re.compile(f"{PREFIX}[A-HJK]{SERIAL}[0-9]{{4}}")
LARGE_NEW_ENERGY = re.compile(f"{PREFIX}[0-9]{{5}}[DF]")

# Characters people put inside a plate that are not part of it: spaces (also the full-width
# one an IME gives) and the separating dot in its usual look-alikes.
NOISE = re.compile(r"[\s\u3000·•・.．\-]")


def normalise_plate(raw: str) -> str:
    """The plate as stored ("浙A12345", "浙AD12345"), or PLATE_INVALID naming what was typed."""
    plate = NOISE.sub("", raw or "").upper()
    if ORDINARY.fullmatch(plate) or SMALL_NEW_ENERGY.fullmatch(plate) or LARGE_NEW_ENERGY.fullmatch(plate):
        return plate
    raise FleetError.PLATE_INVALID.error(plate=(raw or "").strip()[:20])


def is_new_energy_plate(plate: str) -> bool:
    """Whether a normalised plate is a green new-energy plate (8 characters): those are issued
    only to new-energy vehicles."""
    return len(plate) == 8
