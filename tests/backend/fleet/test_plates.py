"""Mainland plates: the ordinary 7-character ones, the 8-character new-energy ones (small cars'
letter series A–K, large vehicles' trailing D/F), normalised as typed, anything else refused."""

import pytest

from backend.core.errors import AppError
from backend.fleet.service.plates import is_new_energy_plate, normalise_plate

GOOD = [
    ("浙A12345", "浙A12345"),
    ("京B8K9P2", "京B8K9P2"),
    ("粤Z1234港", "粤Z1234港"),
    ("沪C1234学", "沪C1234学"),
    ("苏E1234挂", "苏E1234挂"),
    ("川A1234警", "川A1234警"),
    ("浙AD12345", "浙AD12345"),  # small new-energy, pure electric
    ("浙AF12345", "浙AF12345"),  # small new-energy, other
    ("京AA12345", "京AA12345"),  # the 2021 pure-electric series
    ("粤BDA1234", "粤BDA1234"),
    ("鲁B12345D", "鲁B12345D"),  # large new-energy
    ("陕A12345F", "陕A12345F"),
    ("浙a12345", "浙A12345"),  # lower case is written in capitals
    (" 浙A·12345 ", "浙A12345"),  # the printed dot and spaces go
    ("浙 AD 12345", "浙AD12345"),
    ("浙A\u300012345", "浙A12345"),  # a full-width space
]

BAD = [
    "",
    "浙A1234",  # 6 characters
    "浙AD123456",  # 9 characters
    "浙A1234I",  # I reads as 1
    "浙O12345",  # no O as issuing letter
    "浙A12O45",
    "ZA12345",  # no province
    "港A12345",  # not a mainland province
    "浙112345",  # issuing authority is a letter
    "浙AL12345",  # L is not a new-energy series letter
    "浙AI12345",
    "浙AD1234A",  # small new-energy ends in four digits
    "浙A12345E",  # large new-energy ends in D or F
    "浙A1234挂挂",
    "浙A挂1234",
    "浙AK1A234",  # only the second serial place may be a letter
    "abcdefg",
]


@pytest.mark.parametrize(("typed", "stored"), GOOD)
def test_a_valid_plate_is_stored_normalised(typed, stored):
    assert normalise_plate(typed) == stored


@pytest.mark.parametrize("typed", BAD)
def test_a_malformed_plate_is_refused_naming_it(typed):
    with pytest.raises(AppError) as refused:
        normalise_plate(typed)
    assert refused.value.code == "fleet.plate_invalid" and refused.value.status == 422
    assert f"“{typed.strip()}”" in refused.value.message


@pytest.mark.parametrize(
    ("plate", "green"), [("浙A12345", False), ("浙AD12345", True), ("鲁B12345D", True), ("苏E1234挂", False)]
)
def test_only_eight_character_plates_are_new_energy(plate, green):
    assert is_new_energy_plate(normalise_plate(plate)) is green
