"""Pass tokens: what a visitor's QR code carries. `HQP1.<kid>.<payload>.<sig>`, the payload a
compact JSON of the pass (id, gates, window, entries, kind, time step, people, masked names) and
the signature Ed25519 over `HQP1.<kid>.<payload>`, so a gate terminal holding only the public key
checks a pass offline and a guessed pass id is worth nothing. The key is derived from the
platform's data key: nothing more to keep safe, and every backend process signs alike."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.access.errors import AccessError

PREFIX = "HQP1"
KINDS = ("m", "s")
_INFO = b"houqin access pass signing"
_KEYS = ("p", "v", "g", "nb", "na", "n", "k", "t", "c", "nm", "h")


@dataclass(frozen=True)
class Claims:
    pass_id: int
    visit_code: str
    gate_ids: tuple[int, ...]
    not_before: int
    not_after: int
    max_entries: int
    kind: str  # "m" mobile (time-based), "s" printed slip
    step: int | None
    people: int
    name: str
    host: str


@lru_cache(maxsize=4)
def signing_key(data_key: bytes) -> Ed25519PrivateKey:
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(data_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw_public(data_key: bytes) -> bytes:
    return signing_key(data_key).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(data_key: bytes) -> str:
    return base64.b64encode(_raw_public(data_key)).decode("ascii")


def key_id(data_key: bytes) -> str:
    return hashlib.sha256(_raw_public(data_key)).hexdigest()[:8]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(data_key: bytes, claims: Claims) -> str:
    payload = {
        "p": claims.pass_id,
        "v": claims.visit_code,
        "g": list(claims.gate_ids),
        "nb": claims.not_before,
        "na": claims.not_after,
        "n": claims.max_entries,
        "k": claims.kind,
        "t": claims.step,
        "c": claims.people,
        "nm": claims.name,
        "h": claims.host,
    }
    if claims.step is None:
        del payload["t"]
    body = _b64url(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    signed = f"{PREFIX}.{key_id(data_key)}.{body}"
    return f"{signed}.{_b64url(signing_key(data_key).sign(signed.encode('ascii')))}"


def _int(value: object) -> int:
    if type(value) is not int:
        raise ValueError("not an integer")
    return value


def _claims(payload: object) -> Claims:
    if not isinstance(payload, dict) or not set(payload) <= set(_KEYS):
        raise ValueError("unexpected payload")
    kind = payload["k"]
    if kind not in KINDS or not isinstance(payload["v"], str):
        raise ValueError("bad kind or visit code")
    if not isinstance(payload["g"], list) or not isinstance(payload["nm"], str) or not isinstance(payload["h"], str):
        raise ValueError("bad gates or names")
    step = _int(payload["t"]) if kind == "m" else None
    return Claims(
        pass_id=_int(payload["p"]),
        visit_code=payload["v"],
        gate_ids=tuple(_int(g) for g in payload["g"]),
        not_before=_int(payload["nb"]),
        not_after=_int(payload["na"]),
        max_entries=_int(payload["n"]),
        kind=kind,
        step=step,
        people=_int(payload["c"]),
        name=payload["nm"],
        host=payload["h"],
    )


def read(data_key: bytes, token: str) -> Claims:
    """The claims of a token this platform signed. Anything else (another system's QR, a
    malformed token, another key) is PASS_FOREIGN; a token of ours whose signature does not
    hold (edited payload) is PASS_TAMPERED."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != key_id(data_key):
        raise AccessError.PASS_FOREIGN.error()
    try:
        signature = _unb64url(parts[3])
        raw = _unb64url(parts[2])
    except (ValueError, binascii.Error):
        raise AccessError.PASS_TAMPERED.error() from None
    public: Ed25519PublicKey = signing_key(data_key).public_key()
    try:
        public.verify(signature, ".".join(parts[:3]).encode("ascii"))
    except (InvalidSignature, ValueError):
        raise AccessError.PASS_TAMPERED.error() from None
    try:
        return _claims(json.loads(raw.decode("utf-8")))
    except (ValueError, KeyError, TypeError):
        # Signed by us yet not a pass: never issued by this code, so not ours to honour.
        raise AccessError.PASS_FOREIGN.error() from None
