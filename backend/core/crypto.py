"""Personal data at rest: AES-GCM field encryption, blind indexes for look-up, and masking."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


class FieldCipher:
    """Encrypts single column values. Ciphertexts are `v1:<base64(nonce|ciphertext|tag)>`.

    The encryption key and the blind-index key are derived separately from the configured data
    key, so an index value never helps decrypt and vice versa.
    """

    def __init__(self, data_key: bytes):
        self._aead = AESGCM(_derive(data_key, b"houqin field encryption"))
        self._index_key = _derive(data_key, b"houqin blind index")

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{_VERSION}:{base64.b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        version, _, payload = token.partition(":")
        if version != _VERSION:
            raise ValueError(f"unknown ciphertext version {version!r}")
        raw = base64.b64decode(payload)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()

    def blind_index(self, value: str, *, context: str) -> str:
        """A keyed hash for equality look-ups (e.g. matching a phone) without storing it plain."""
        return hmac.new(self._index_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_id_card(number: str | None) -> str | None:
    if not number:
        return None
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"
