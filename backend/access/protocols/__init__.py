"""Adapters of what vehicle gates' plate cameras push (a generic signed JSON event, Hikvision's
ISAPI event XML): each turns its message into a plate and the camera's event id and asks
`service.plates` for the decision. Both are authenticated alike here: an HMAC signature with the
gate's camera secret over the timestamp and the raw body, or else the sender's address on the
gate's allowlist. A refused push is logged with the gate code and the address only, never the plate.

A signed push cannot be replayed within the timestamp's skew: a push naming the camera's event id
is booked once under its event number, and a repeat (a camera retrying) gets the decision
already booked, which neither lifts the barrier nor counts again; a push without one has its
signature remembered in Redis for twice the skew, and the same signature again is refused. After
Redis lost its data (backend.core.replay) such a push must be stamped at least the skew after the
new epoch began (a camera's clock may run that far ahead); until then it is refused, and the gate
is opened by its other means."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import time

from sanic.request import Request

from backend.access.errors import AccessError
from backend.access.models import Gate, GateKind
from backend.access.service import plates
from backend.accounts.guards import client_ip, runtime
from backend.core import replay
from backend.core.timeutil import now
from backend.core.web.responses import ok
from backend.modules import settings_of

log = logging.getLogger(__name__)

PREFIX = "/camera/v1/access"
SECRET_CONTEXT = "access.camera_secret"
REPLAY_KEY = "access:camera_signature:{gate_id}:{signature}"
TIMESTAMP_HEADER = "X-Camera-Timestamp"
SIGNATURE_HEADER = "X-Camera-Signature"
# The event itself (JSON, or ISAPI XML without its pictures) is small; more is not an event.
MAX_EVENT = 64 * 1024
PLATE_MAX = 20


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `<timestamp>\\n<raw body>` with the gate's camera secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _allowlisted(address: str, allowed: list[str]) -> bool:
    try:
        sender = ipaddress.ip_address(address)
    except ValueError:
        return False
    if getattr(sender, "ipv4_mapped", None):
        sender = sender.ipv4_mapped
    for entry in allowed:
        try:
            if sender in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _refuse(gate_code: str, address: str, why: str):
    log.warning("camera push refused: gate %s from %s (%s)", gate_code[:32], address, why)
    return AccessError.CAMERA_REFUSED.error()


def _signed(request: Request, gate: Gate, skew_seconds: int) -> str:
    """ "" when the push is properly signed, else why not."""
    stamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not gate.camera_secret_encrypted:
        return "the gate has no camera secret"
    if not stamp.isdigit() or abs(time.time() - int(stamp)) > skew_seconds:
        return "timestamp missing or stale"
    secret = runtime(request).cipher.decrypt(gate.camera_secret_encrypted, context=SECRET_CONTEXT)
    if not hmac.compare_digest(signature(secret, stamp, request.body or b""), given.strip().lower()):
        return "bad signature"
    return ""


async def camera_gate(request: Request, gate_code: str) -> Gate:
    """The active vehicle gate the push is for, once the camera is authenticated (a signed push is
    checked by its signature; an unsigned one by the sender's address)."""
    address = client_ip(request)
    gate = await Gate.get_or_none(code=gate_code, kind=GateKind.VEHICLE)
    if gate is None:
        raise _refuse(gate_code, address, "no such vehicle gate")
    request.ctx.camera_signature = None
    if request.headers.get(SIGNATURE_HEADER):
        settings = settings_of(runtime(request).settings, "access")
        if problem := _signed(request, gate, settings.camera_skew_seconds):
            raise _refuse(gate.code, address, problem)
        request.ctx.camera_signature = (
            request.headers[SIGNATURE_HEADER].strip().lower(),
            int(request.headers[TIMESTAMP_HEADER]),
            settings.camera_skew_seconds,
        )
    elif not _allowlisted(address, gate.camera_addresses or []):
        raise _refuse(gate.code, address, "unsigned and not on the allowlist")
    return gate


def invalid(problem: str):
    return AccessError.CAMERA_EVENT_INVALID.error(problem=problem)


async def _first_use(request: Request, gate: Gate, event_id: str | None) -> None:
    """Spend a signed push's signature, unless it names an event id (booked once, answered
    alike: see above)."""
    signed = getattr(request.ctx, "camera_signature", None)
    if signed is None or event_id is not None:
        return
    given, stamp, skew_seconds = signed
    try:
        mark = await replay.first_use(
            runtime(request).redis,
            REPLAY_KEY.format(gate_id=gate.id, signature=given),
            "1",
            ttl_ms=max(2 * skew_seconds, 1) * 1000,
            issued_ms=stamp * 1000,
            lead_ms=skew_seconds * 1000,
        )
    except replay.BeforeEpoch:
        raise _refuse(gate.code, client_ip(request), "stamped before the replay epoch") from None
    if not mark.fresh:
        raise _refuse(gate.code, client_ip(request), "signature already used (replay)")


async def decide(request: Request, gate: Gate, plate: str, event_id: str | None, detail: dict):
    """The decision on the plate as the camera's answer: `{"allowed", "reason", "message"}`."""
    await _first_use(request, gate, event_id)
    rt = runtime(request)
    event_no = plates.camera_event_no(gate.code, event_id or "")
    decision = await plates.decide_plate(
        rt.cipher,
        settings_of(rt.settings, "access"),
        gate.id,
        plate,
        event_no,
        now(),
        source_detail={**detail, "address": client_ip(request)},
    )
    return ok({"allowed": decision.allowed, "reason": decision.reason, "message": decision.message})
