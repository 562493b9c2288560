"""The gate terminal's offline rules in this process (no backend): an exit gate lets a pass out
whatever its validity, revocation or use (signature and gate only); a staff card at an entry gate
with anti-passback is refused once this terminal let it in, and greeted as 职工; the journal keeps
a card's UID only until its upload is answered; offline checks use the clock corrected by the
server's time of the last sync."""

import base64
import json
import types
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.gate_agent import GateAgent
from kiosk.gate_journal import GateEvent, GateJournal
from kiosk.gate_pass import ALREADY_INSIDE, EXPIRED, WRONG_GATE, GateFacts, card_hash, decide_card, decide_pass
from kiosk.gate_sync import GateLink

KEY = Ed25519PrivateKey.generate()
NOW = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
UID = "04A1B2C3D4E5F6"
GATE = 7


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _token(**changes) -> str:
    unix = int(NOW.timestamp())
    claims = {"p": 11, "k": "s", "t": None, "nb": unix - 3600, "na": unix + 3600, "g": [GATE], "n": 1}
    claims |= {"nm": "李*", "h": "张*", "c": 1} | changes
    signed = f"HQP1.k1.{_b64(json.dumps(claims).encode())}"
    return f"{signed}.{_b64(KEY.sign(signed.encode()))}"


def _sync_body(direction: str = "in", **more) -> dict:
    public = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    gate = {"id": GATE, "code": "G", "name": "门", "direction": direction, "building": "A", "anti_passback": True}
    return {
        "gate": gate,
        "public_key": base64.b64encode(public).decode(),
        "key_id": "k1",
        "qr_step_seconds": 60,
        "qr_tolerance_steps": 1,
        "version": "v1",
        "revoked": [11],
        "used": {"11": 1},
        "cards_version": "c1",
        "cards": [card_hash(UID)],
    } | more


def test_an_exit_gate_lets_a_pass_out_whatever_its_validity_revocation_or_use():
    exit_gate = GateFacts.from_sync(_sync_body("out"))
    unix = int(NOW.timestamp())
    for token in (_token(), _token(na=unix - 60), _token(nb=unix + 60), _token(k="m", t=1)):
        decision = decide_pass(exit_gate, token, NOW, 0)
        assert (decision.allowed, decision.greeting["name"]) == (True, "李*"), token
    assert decide_pass(exit_gate, _token(g=[GATE + 1]), NOW, 0).reason == WRONG_GATE
    assert decide_pass(exit_gate, _token()[:-4] + "AAAA", NOW, 0).allowed is False
    entry_gate = GateFacts.from_sync(_sync_body("in", revoked=[], used={}))
    assert decide_pass(entry_gate, _token(na=unix - 60), NOW, 0).reason == EXPIRED


def test_an_entry_gate_refuses_a_card_it_let_in_and_greets_staff_as_such(tmp_path):
    facts = GateFacts.from_sync(_sync_body("in"))
    journal = GateJournal(tmp_path / "gate.db")
    card = card_hash(UID)
    first = decide_card(facts, card, journal.card_entries_since(card, NOW - timedelta(hours=1)))
    assert (first.allowed, first.greeting["name"]) == (True, "职工")
    journal.append(GateEvent("E1", "card", card, True, "", NOW), online=False)
    assert journal.card_entries_since(card, NOW - timedelta(hours=1)) == 1
    assert decide_card(facts, card, 1).reason == ALREADY_INSIDE
    assert decide_card(GateFacts.from_sync(_sync_body("out")), card, 1).allowed is True
    journal.close()


def test_the_journal_never_holds_a_card_number(tmp_path):
    """A tapped card is journalled and uploaded by the hash the sync named it by: a stolen
    terminal's disk gives no card numbers."""
    path = tmp_path / "gate.db"
    journal = GateJournal(path)
    journal.append(GateEvent("ON-1", "card", card_hash(UID), True, "", NOW), online=True)
    journal.append(GateEvent("OFF-1", "card", card_hash(UID), True, "", NOW), online=False)
    (pending,) = journal.pending(10)
    assert pending.upload()["card_hash"] == card_hash(UID) and "card_uid" not in pending.upload()
    assert journal.card_entries_since(card_hash(UID), NOW - timedelta(hours=1)) == 2
    journal.close()
    assert all(UID.encode() not in f.read_bytes() for f in tmp_path.iterdir())  # the database and its WAL


class _Backend:
    def __init__(self, server_time: datetime):
        self.server_time = server_time

    async def access_sync(self, version: str = "", cards_version: str = "") -> httpx.Response:
        return httpx.Response(200, json=_sync_body("in"), headers={"Date": format_datetime(self.server_time, True)})


async def test_offline_checks_use_the_clock_corrected_by_the_sync_answers_date(tmp_path):
    """The terminal's clock two hours slow: a pass that ended an hour ago by the server's time
    would still be valid by the terminal's own; it is refused as expired."""
    slow = NOW - timedelta(hours=2)
    journal = GateJournal(tmp_path / "gate.db")
    link = GateLink(_Backend(NOW), journal, lambda: slow, lambda: None)
    await link.load()
    await link._refresh()
    assert abs((link.server_now() - NOW).total_seconds()) < 2
    agent = types.SimpleNamespace(journal=journal, link=link, now=lambda: slow)
    token = _token(
        p=12, na=int((NOW - timedelta(hours=1)).timestamp()), nb=int((slow - timedelta(hours=1)).timestamp())
    )
    assert (await GateAgent._offline_pass(agent, link.facts, token)).reason == EXPIRED
    restarted = GateLink(_Backend(NOW), journal, lambda: slow, lambda: None)
    await restarted.load()
    assert abs((restarted.server_now() - NOW).total_seconds()) < 2
    journal.close()
