"""Field encryption, blind indexes and masking of personal data."""

import secrets

import pytest
from cryptography.exceptions import InvalidTag

from backend.core.crypto import FieldCipher, mask_id_card, mask_phone


def test_encrypted_value_round_trips_and_differs_each_time():
    cipher = FieldCipher(secrets.token_bytes(32))
    first = cipher.encrypt("13812341234", context="person.phone")
    second = cipher.encrypt("13812341234", context="person.phone")
    assert first != second and "1234" not in first
    assert cipher.decrypt(first, context="person.phone") == "13812341234"


def test_ciphertext_moved_to_another_field_does_not_decrypt():
    cipher = FieldCipher(secrets.token_bytes(32))
    token = cipher.encrypt("13812341234", context="person.phone")
    with pytest.raises(InvalidTag):
        cipher.decrypt(token, context="person.id_card")


def test_blind_index_is_stable_per_key_and_reveals_nothing():
    key = secrets.token_bytes(32)
    index = FieldCipher(key).blind_index("13812341234", context="person.phone")
    assert index == FieldCipher(key).blind_index("13812341234", context="person.phone")
    assert index != FieldCipher(secrets.token_bytes(32)).blind_index("13812341234", context="person.phone")
    assert "1234" not in index


def test_masks_keep_only_the_ends():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_card("11010519491231002X") == "110***********002X"
    assert mask_phone(None) is None
