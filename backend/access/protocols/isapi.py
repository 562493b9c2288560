"""Hikvision ISAPI event pushes (the camera's "HTTP listening" / alarm host): `POST
/camera/v1/access/<gate code>/isapi` with an `EventNotificationAlert` XML, either the whole body
or the XML part of a multipart/form-data push that also carries the pictures. An ANPR event's
plate is `ANPR/licensePlate`, its id `UUID` when the camera sends one; other events (a heartbeat,
video loss) are acknowledged and ignored.

The XML is parsed with defusedxml (installed with fpdf2) and DTDs refused outright, so neither
entity expansion ("billion laughs") nor external entities can be smuggled in by a camera."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import fromstring
from sanic import Blueprint
from sanic.request import Request

from backend.access.protocols import MAX_EVENT, PLATE_MAX, PREFIX, camera_gate, decide, invalid
from backend.core.web.responses import ok

bp = Blueprint("access_camera_isapi", url_prefix=PREFIX)

ROOT = "EventNotificationAlert"
IGNORED = {"allowed": False, "reason": "", "message": "非车牌识别事件，已忽略"}


def _local(tag: str) -> str:
    # Hikvision qualifies every element with its schema namespace (ver10 or ver20).
    return tag.rsplit("}", 1)[-1]


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text(element: Element | None, name: str) -> str:
    child = None if element is None else _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def parse(xml: bytes) -> tuple[str, str | None, dict] | None:
    """(plate, camera's event id, detail) of an ANPR event, None for another kind of event, or
    CAMERA_EVENT_INVALID for anything that is not an EventNotificationAlert."""
    if len(xml) > MAX_EVENT:
        raise invalid("内容过长")
    try:
        root = fromstring(xml, forbid_dtd=True)
    except (ParseError, ValueError):  # defusedxml refusals are ValueErrors
        raise invalid("XML 无法解析") from None
    if _local(root.tag) != ROOT:
        raise invalid(f"根元素应为 {ROOT}")
    if _text(root, "eventType").upper() != "ANPR":
        return None
    anpr = _child(root, "ANPR")
    plate = _text(anpr, "licensePlate")
    if not 0 < len(plate) <= PLATE_MAX:
        raise invalid("缺少车牌号")
    detail = {
        "protocol": "isapi",
        "confidence": _text(anpr, "confidenceLevel")[:8] or None,
        "camera_time": _text(root, "dateTime")[:40] or None,
        "channel": _text(root, "channelID")[:8] or None,
    }
    return plate, _text(root, "UUID") or None, detail


def _xml_of(request: Request) -> bytes:
    if not request.content_type.startswith("multipart/"):
        return request.body or b""
    for parts in request.files.values():
        for part in parts:
            if "xml" in (part.type or "") or part.name.lower().endswith(".xml"):
                return part.body
    for values in request.form.values():
        for value in values:
            if value.lstrip().startswith("<"):
                return value.encode()
    raise invalid("缺少事件 XML")


@bp.post("/<gate_code:str>/isapi")
async def isapi_event(request: Request, gate_code: str):
    gate = await camera_gate(request, gate_code)
    parsed = parse(_xml_of(request))
    if parsed is None:
        return ok(IGNORED)
    plate, event_id, detail = parsed
    return await decide(request, gate, plate, event_id, detail)
