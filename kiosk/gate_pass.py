"""The gate terminal's offline decision: a pass QR checked with the public key alone, a staff card
against the synced set of active cards.

A pass token is `HQP1.<kid>.<payload>.<sig>` (backend.access.service.tokens, which signs them):
an Ed25519 signature over `HQP1.<kid>.<payload>`, whose payload is base64url JSON of the claims.
The checks run in the backend's order with its reason codes and words (REASONS mirrors
backend.access.errors; a test holds them equal), so a visitor hears the same thing online and
off: foreign → tampered → stale → not yet valid → expired → wrong gate → revoked → used up →
anti-passback. Whether the visit is still active is known only online.

Used entries are the sync's count plus what this terminal let in since (its journal). Anti-
passback offline knows only this terminal's own journal: an entry gate refuses a pass it let in
since the last sync (the visitor may have left by another gate since, which it cannot know, so
the guard decides); an exit gate lets everyone out, since holding someone in is worse.

At an exit gate only the signature and this gate among the token's gates are checked, as the
backend does: a pass out of its window, revoked or used up still lets its visitor leave.

A staff card is checked against the synced SHA-256 of the usable cards; at an entry gate with
anti-passback a card this terminal let in since the last sync is refused like a pass. The sync
carries no names, so the offline greeting says only 职工.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PREFIX = "HQP1"
FOREIGN = "access.pass_foreign"
TAMPERED = "access.pass_tampered"
STALE = "access.pass_stale"
NOT_YET_VALID = "access.pass_not_yet_valid"
EXPIRED = "access.pass_expired"
WRONG_GATE = "access.pass_wrong_gate"
REVOKED = "access.pass_revoked"
USED_UP = "access.pass_used_up"
ALREADY_INSIDE = "access.already_inside"
CARD_UNKNOWN = "access.card_unknown"
# The backend's words for each refusal (backend.access.errors.AccessError): the terminal runs on
# another machine and shares no code with the server.
REASONS = {
    FOREIGN: "不是本系统的通行码",
    TAMPERED: "通行码无效，请联系被访人",
    STALE: "通行码已刷新，请出示小程序中的最新通行码",
    NOT_YET_VALID: "尚未到通行时间",
    EXPIRED: "通行证已过期",
    WRONG_GATE: "此通行证不能从本门通行",
    REVOKED: "通行证已被撤销",
    USED_UP: "通行次数已用完",
    ALREADY_INSIDE: "已在楼内，请从出口离开后再进入",
    CARD_UNKNOWN: "未登记的卡，请到门岗登记",
}
WELCOME = "请通行"
# No name is synced for a card (only the hash of its UID): offline the greeting says only this.
STAFF = "职工"


@dataclass(frozen=True)
class Decision:
    """What the gate does and the screen shows; `pass_id` is the pass's, when its token was ours."""

    allowed: bool
    reason: str
    message: str
    greeting: dict | None = None
    pass_id: int | None = None

    @classmethod
    def refuse(cls, reason: str, pass_id: int | None = None) -> Decision:
        return cls(False, reason, REASONS[reason], None, pass_id)

    @classmethod
    def from_backend(cls, body: dict, pass_id: int | None = None) -> Decision:
        allowed = body["allowed"] is True
        greeting = body.get("greeting") if allowed else None
        return cls(allowed, str(body.get("reason") or ""), str(body["message"]), greeting, pass_id)

    def view(self) -> dict:
        return {"allowed": self.allowed, "reason": self.reason, "message": self.message, "greeting": self.greeting}


@dataclass(frozen=True)
class GateFacts:
    """What the last sync told the terminal (remembered across restarts)."""

    gate_id: int
    direction: str
    anti_passback: bool
    public_key: bytes
    key_id: str
    qr_step_seconds: int
    qr_tolerance_steps: int
    revoked: frozenset[int]
    used: dict[int, int]
    cards: frozenset[str]

    @classmethod
    def from_sync(cls, body: dict) -> GateFacts:
        gate = body["gate"]
        return cls(
            gate_id=int(gate["id"]),
            direction=str(gate["direction"]),
            anti_passback=bool(gate["anti_passback"]),
            public_key=base64.b64decode(body["public_key"]),
            key_id=str(body["key_id"]),
            qr_step_seconds=int(body["qr_step_seconds"]),
            qr_tolerance_steps=int(body["qr_tolerance_steps"]),
            revoked=frozenset(int(p) for p in body.get("revoked", ())),
            used={int(p): int(n) for p, n in body.get("used", {}).items()},
            cards=frozenset(body.get("cards", ())),
        )


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pass_id_of(token: str) -> int | None:
    """The pass a token names, unverified: only to find its journal entries."""
    try:
        return int(json.loads(_unb64url(token.split(".")[2]))["p"])
    except (IndexError, ValueError, KeyError, TypeError, binascii.Error):
        return None


def claims_of(facts: GateFacts, token: str) -> dict:
    """The token's claims once its signature holds; a refusal Decision is raised as OfflineRefusal."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != facts.key_id:
        raise OfflineRefusal(Decision.refuse(FOREIGN))
    try:
        Ed25519PublicKey.from_public_bytes(facts.public_key).verify(_unb64url(parts[3]), ".".join(parts[:3]).encode())
        claims = json.loads(_unb64url(parts[2]))
        if not isinstance(claims, dict):
            raise ValueError("claims are not an object")
        return claims
    except (InvalidSignature, ValueError, binascii.Error):
        raise OfflineRefusal(Decision.refuse(TAMPERED)) from None


class OfflineRefusal(Exception):
    def __init__(self, decision: Decision):
        self.decision = decision


def decide_pass(facts: GateFacts, token: str, at: datetime, let_in_since_sync: int) -> Decision:
    """The offline decision on a pass token at `at`; `let_in_since_sync` counts the entries this
    terminal let the pass make that the sync's used counts do not hold."""
    try:
        claims = claims_of(facts, token)
        return _decide_claims(facts, claims, int(at.timestamp()), let_in_since_sync)
    except OfflineRefusal as refusal:
        return refusal.decision
    except (KeyError, TypeError, ValueError):  # signed by us, yet not claims we know: not to be trusted
        return Decision.refuse(TAMPERED)


def _decide_claims(facts: GateFacts, claims: dict, unix: int, let_in_since_sync: int) -> Decision:
    pass_id = int(claims["p"])
    greeting = {"name": str(claims["nm"]), "host": str(claims["h"]), "people": int(claims["c"])}
    if facts.direction != "in":  # leaving: the signature (checked) and this gate, nothing else
        if facts.gate_id not in [int(g) for g in claims["g"]]:
            return Decision.refuse(WRONG_GATE, pass_id)
        return Decision(True, "", WELCOME, greeting, pass_id)
    if claims["k"] == "m" and abs(unix // facts.qr_step_seconds - int(claims["t"])) > facts.qr_tolerance_steps:
        return Decision.refuse(STALE, pass_id)
    if unix < int(claims["nb"]):
        return Decision.refuse(NOT_YET_VALID, pass_id)
    if unix > int(claims["na"]):
        return Decision.refuse(EXPIRED, pass_id)
    if facts.gate_id not in [int(g) for g in claims["g"]]:
        return Decision.refuse(WRONG_GATE, pass_id)
    if pass_id in facts.revoked:
        return Decision.refuse(REVOKED, pass_id)
    if facts.used.get(pass_id, 0) + let_in_since_sync >= int(claims["n"]):
        return Decision.refuse(USED_UP, pass_id)
    if facts.anti_passback and let_in_since_sync:
        return Decision.refuse(ALREADY_INSIDE, pass_id)
    return Decision(True, "", WELCOME, greeting, pass_id)


def card_hash(card_uid: str) -> str:
    """How the sync names an active card: sha256 hex of its UID (uppercase hex, as readers give it)."""
    return hashlib.sha256(card_uid.encode()).hexdigest()


def decide_card(facts: GateFacts, card: str, let_in_since_sync: int = 0) -> Decision:
    """The offline decision on a card, named by `card_hash` of its UID; `let_in_since_sync`
    counts the entries this terminal let the card make since the last sync (its journal)."""
    if card not in facts.cards:
        return Decision.refuse(CARD_UNKNOWN)
    if facts.direction == "in" and facts.anti_passback and let_in_since_sync:
        return Decision.refuse(ALREADY_INSIDE)
    return Decision(True, "", WELCOME, {"name": STAFF, "host": "", "people": 1})
