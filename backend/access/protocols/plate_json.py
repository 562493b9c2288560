"""The generic JSON push of a plate camera: `POST /camera/v1/access/<gate code>/plates` with
`{"plate", "event_id"?, "time"?, "confidence"?}`, signed (headers X-Camera-Timestamp and
X-Camera-Signature) or sent from an address on the gate's allowlist."""

from __future__ import annotations

import json
import re

from sanic import Blueprint
from sanic.request import Request

from backend.access.protocols import MAX_EVENT, PLATE_MAX, PREFIX, camera_gate, decide, invalid

bp = Blueprint("access_camera_json", url_prefix=PREFIX)

EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def parse(body: bytes) -> tuple[str, str | None, dict]:
    """(plate as read, camera's event id, detail kept with the event) or CAMERA_EVENT_INVALID."""
    if len(body) > MAX_EVENT:
        raise invalid("内容过长")
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise invalid("不是 JSON") from None
    if not isinstance(event, dict):
        raise invalid("应为 JSON 对象")
    plate = event.get("plate")
    if not isinstance(plate, str) or not 0 < len(plate.strip()) <= PLATE_MAX:
        raise invalid("缺少车牌号")
    event_id = event.get("event_id")
    if event_id is not None and not (isinstance(event_id, str) and EVENT_ID.fullmatch(event_id)):
        raise invalid("事件编号应为 1 到 40 位字母、数字、“-”“_”")
    confidence = event.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, int | float) or not 0 <= confidence <= 100
    ):
        raise invalid("识别置信度应在 0 到 100 之间")
    camera_time = event.get("time")
    if camera_time is not None and not (isinstance(camera_time, str | int) and len(str(camera_time)) <= 40):
        raise invalid("时间格式有误")
    detail = {"protocol": "json", "confidence": confidence, "camera_time": camera_time}
    return plate, event_id, detail


@bp.post("/<gate_code:str>/plates")
async def plate_event(request: Request, gate_code: str):
    gate = await camera_gate(request, gate_code)
    plate, event_id, detail = parse(request.body or b"")
    return await decide(request, gate, plate, event_id, detail)
