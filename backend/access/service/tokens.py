"""Pass tokens, the content of a pass QR: `HQP1.<kid>.<payload>.<sig>`, signed with Ed25519 so
that a gate terminal checks them offline with the public key alone.

`payload` is base64url (no padding) of compact JSON with the claims; `sig` is base64url of the
signature over the ASCII bytes `HQP1.<kid>.<payload>`; `kid` is the first 8 hex characters of
sha256 of the raw public key. The private key is derived from the platform data key (HKDF), so
nothing more has to be kept secret."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.access.errors import AccessError

PREFIX = "HQP1"
HKDF_INFO = b"houqin access pass signing"


@dataclass(frozen=True)
class Claims:
    pass_id: int
    visit_code: str
    gate_ids: tuple[int, ...]
    not_before: int
    not_after: int
    max_entries: int
    kind: str
    step: int | None
    people: int
    name: str
    host: str


def signing_key(data_key: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(data_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def _public_raw(data_key: bytes) -> bytes:
    return signing_key(data_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_b64(data_key: bytes) -> str:
    return base64.b64encode(_public_raw(data_key)).decode()


def key_id(data_key: bytes) -> str:
    return hashlib.sha256(_public_raw(data_key)).hexdigest()[:8]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(data_key: bytes, claims: Claims) -> str:
    body = {
        "p": claims.pass_id,
        "v": claims.visit_code,
        "g": list(claims.gate_ids),
        "nb": claims.not_before,
        "na": claims.not_after,
        "n": claims.max_entries,
        "k": claims.kind,
        "c": claims.people,
        "nm": claims.name,
        "h": claims.host,
    }
    if claims.step is not None:
        body["t"] = claims.step
    payload = _b64url(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode())
    signed = f"{PREFIX}.{key_id(data_key)}.{payload}"
    return f"{signed}.{_b64url(signing_key(data_key).sign(signed.encode()))}"


def read(data_key: bytes, token: str) -> Claims:
    """The claims of a token signed with this platform's key; PASS_FOREIGN for anything else
    (another prefix, malformed, another key), PASS_TAMPERED for a bad signature."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != key_id(data_key):
        raise AccessError.PASS_FOREIGN.error()
    try:
        signature = _unb64url(parts[3])
        body = json.loads(_unb64url(parts[2]))
        claims = Claims(
            pass_id=int(body["p"]),
            visit_code=str(body["v"]),
            gate_ids=tuple(int(g) for g in body["g"]),
            not_before=int(body["nb"]),
            not_after=int(body["na"]),
            max_entries=int(body["n"]),
            kind=str(body["k"]),
            step=int(body["t"]) if "t" in body else None,
            people=int(body["c"]),
            name=str(body["nm"]),
            host=str(body["h"]),
        )
    except (ValueError, KeyError, TypeError):
        # A payload that is not ours may still carry a valid signature only if we signed it.
        raise AccessError.PASS_TAMPERED.error() from None
    try:
        signing_key(data_key).public_key().verify(signature, ".".join(parts[:3]).encode())
    except InvalidSignature:
        raise AccessError.PASS_TAMPERED.error() from None
    return claims
