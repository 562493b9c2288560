"""A plate camera simulator: pushes a recognised plate to the backend as a vehicle gate's camera
does, either the generic JSON event signed with the gate's camera secret, or a Hikvision ISAPI
`EventNotificationAlert` (ANPR) XML. Used by the tests, the gate bench and by hand:

    python -m hardware.plate_camera http://localhost:8000 V-A-IN 浙A12345 --secret <camera secret> [--isapi]

Without a secret the push is unsigned, which the backend takes only from an allowlisted address."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import escape

import httpx

PATH = "/camera/v1/access/{gate}/{kind}"
ISAPI_NAMESPACE = "http://www.hikvision.com/ver20/XMLSchema"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers of a signed push: hex HMAC-SHA256 over `<timestamp>\\n<raw body>`."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return {"X-Camera-Timestamp": stamp, "X-Camera-Signature": digest}


def json_event(plate: str, event_id: str | None = None, confidence: int = 97) -> bytes:
    event = {
        "plate": plate,
        "event_id": event_id or uuid.uuid4().hex,
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "confidence": confidence,
    }
    return json.dumps(event, ensure_ascii=False).encode()


def isapi_event(plate: str, event_id: str | None = None, confidence: int = 97, *, event_type: str = "ANPR") -> bytes:
    """An ANPR EventNotificationAlert as Hikvision cameras post it (namespaced, ver20)."""
    moment = datetime.now(UTC).isoformat(timespec="seconds")
    anpr = (
        f"<ANPR><country>CN</country><licensePlate>{escape(plate)}</licensePlate><line>1</line>"
        f"<direction>forward</direction><confidenceLevel>{confidence}</confidenceLevel>"
        "<plateType>92TypeCivil</plateType><plateColor>blue</plateColor></ANPR>"
        if event_type == "ANPR"
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<EventNotificationAlert version="2.0" xmlns="{ISAPI_NAMESPACE}">'
        "<ipAddress>192.0.2.10</ipAddress><portNo>80</portNo><protocol>HTTP</protocol>"
        f"<channelID>1</channelID><dateTime>{moment}</dateTime><activePostCount>1</activePostCount>"
        f"<eventType>{escape(event_type)}</eventType><eventState>active</eventState>"
        f"<eventDescription>{escape(event_type)}</eventDescription>{anpr}"
        f"<UUID>{escape(event_id or str(uuid.uuid4()))}</UUID></EventNotificationAlert>"
    ).encode()


class PlateCamera:
    """One camera of one gate; `secret` None pushes unsigned."""

    def __init__(self, base_url: str, gate_code: str, secret: str | None, *, timeout: float = 5.0):
        self.base_url, self.gate_code, self.secret, self.timeout = base_url.rstrip("/"), gate_code, secret, timeout

    async def push_body(self, body: bytes, *, isapi: bool, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = {"Content-Type": "application/xml" if isapi else "application/json"}
        if self.secret is not None:
            sent.update(sign(self.secret, body))
        sent.update(headers or {})
        url = self.base_url + PATH.format(gate=self.gate_code, kind="isapi" if isapi else "plates")
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return await client.post(url, content=body, headers=sent)

    async def push(self, plate: str, *, isapi: bool = False, event_id: str | None = None) -> httpx.Response:
        body = isapi_event(plate, event_id) if isapi else json_event(plate, event_id)
        return await self.push_body(body, isapi=isapi)


async def push_plate(
    base_url: str, gate_code: str, plate: str, secret: str | None, *, isapi: bool = False, event_id: str | None = None
) -> dict:
    """Push one plate and return the backend's answer `{"allowed", "reason", "message"}`; an HTTP
    error (a refused camera, a malformed event) raises httpx.HTTPStatusError."""
    response = await PlateCamera(base_url, gate_code, secret).push(plate, isapi=isapi, event_id=event_id)
    response.raise_for_status()
    return response.json()


def main() -> None:
    parser = argparse.ArgumentParser(description="Push a plate as a vehicle gate's camera would.")
    parser.add_argument("base_url")
    parser.add_argument("gate_code")
    parser.add_argument("plate")
    parser.add_argument("--secret", help="the gate's camera secret (unsigned without it)")
    parser.add_argument("--isapi", action="store_true", help="send Hikvision ISAPI XML instead of JSON")
    args = parser.parse_args()
    print(
        json.dumps(
            asyncio.run(push_plate(args.base_url, args.gate_code, args.plate, args.secret, isapi=args.isapi)),
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
