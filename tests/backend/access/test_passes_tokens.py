"""Pass tokens: what the QR carries is signed, readable with the public key alone, holds only the
masked names, and the mobile token follows the time step."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from backend.access.models import PassKind, VisitState
from backend.access.service import passes, tokens
from backend.core.errors import AppError
from backend.core.timeutil import now
from tests.fixtures.access_p import SETTINGS, VISITOR_ID, VISITOR_PHONE, pass_of, ready_visit

KEY = bytes(range(32))
CLAIMS = tokens.Claims(7, "V0007", (1, 2), 1_700_000_000, 1_700_003_600, 4, "m", 28_333_333, 2, "李*", "张*")


def _payload(token: str) -> dict:
    part = token.split(".")[2]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_a_signed_token_reads_back_and_verifies_with_the_public_key_alone():
    token = tokens.sign(KEY, CLAIMS)
    prefix, kid, _, signature = token.split(".")
    assert (prefix, kid) == ("HQP1", tokens.key_id(KEY))
    assert kid == hashlib.sha256(base64.b64decode(tokens.public_key_b64(KEY))).hexdigest()[:8]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(tokens.public_key_b64(KEY)))
    public.verify(base64.urlsafe_b64decode(signature + "=="), token.rsplit(".", 1)[0].encode())
    assert tokens.read(KEY, token) == CLAIMS
    assert set(_payload(token)) == {"p", "v", "g", "nb", "na", "n", "k", "t", "c", "nm", "h"}


def test_a_slip_token_carries_no_time_step():
    slip = tokens.Claims(7, "V0007", (1,), 1, 2, 1, "s", None, 1, "李*", "张*")
    token = tokens.sign(KEY, slip)
    assert "t" not in _payload(token) and tokens.read(KEY, token) == slip


@pytest.mark.parametrize(
    "token",
    ["", "HQP1", "HQP2.x.y.z", f"HQP1.{'0' * 8}.e30.e30", "HQP1.a.b.c.d", "http://example.com/?p=7"],
)
def test_what_is_not_a_token_of_ours_is_foreign(token):
    with pytest.raises(AppError) as refused:
        tokens.read(KEY, token)
    assert refused.value.code == "access.pass_foreign"


def test_a_changed_payload_or_signature_is_tampered():
    prefix, kid, payload, signature = tokens.sign(KEY, CLAIMS).split(".")
    other = tokens.sign(KEY, tokens.Claims(8, *list(vars(CLAIMS).values())[1:])).split(".")[2]
    for token in (
        f"{prefix}.{kid}.{other}.{signature}",
        f"{prefix}.{kid}.{payload}.{signature[:-4]}AAAA",
        f"{prefix}.{kid}.{payload}.!",
    ):
        with pytest.raises(AppError) as refused:
            tokens.read(KEY, token)
        assert refused.value.code == "access.pass_tampered"


async def test_the_mobile_token_holds_masked_names_only_and_refreshes_each_step(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    visit_pass = await pass_of(visit)
    at = now()
    first = await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, at)
    assert 0 < first["refresh_in"] <= SETTINGS.qr_step_seconds
    assert first["valid_until"] == visit_pass.valid_until
    payload = _payload(first["token"])
    assert (payload["nm"], payload["h"], payload["k"]) == ("李*", "张*", "m")
    assert payload["t"] == int(at.timestamp()) // SETTINGS.qr_step_seconds
    assert not any(secret in first["token"] for secret in ("李四", VISITOR_PHONE, VISITOR_ID))
    later = await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, at + timedelta(minutes=2))
    assert later["token"] != first["token"]


async def test_no_mobile_token_for_a_visit_without_a_live_pass(access_world, runtime):
    visit = await ready_visit(runtime, access_world, state=VisitState.AWAITING_HOST)
    with pytest.raises(AppError) as refused:
        await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())
    assert refused.value.code == "access.visit_state"
    await pass_of(visit)
    await passes.revoke_all(None, visit.id, now())
    await visit.filter(id=visit.id).update(state=VisitState.READY)
    with pytest.raises(AppError):
        await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())


async def test_a_slip_token_is_only_for_a_live_slip(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    slip = await pass_of(visit, PassKind.SLIP, 1)
    assert _payload(await passes.slip_token(runtime.settings.data_key, slip.id))["n"] == 1
    with pytest.raises(AppError):
        await passes.slip_token(runtime.settings.data_key, (await pass_of(visit)).id)
