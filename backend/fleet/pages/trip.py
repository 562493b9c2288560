"""The console's trip page (/console/fleet/trips/<id>): the request, car and driver, planned
against actual times, readings and costs, its compliance flags, and its track drawn as an inline
SVG (no map tiles: government intranets reach no map service), with the GPX upload form."""

from __future__ import annotations

import math

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AppError, AuthError
from backend.core.timeutil import now
from backend.fleet.errors import FleetError
from backend.fleet.models import Datum
from backend.fleet.permissions import FleetPermission as P
from backend.fleet.service import compliance, tracks
from backend.modules import settings_of

bp = Blueprint("console_fleet_trip", url_prefix="/console/fleet/trips")

WIDTH, HEIGHT, MARGIN = 640, 420, 24
GPX_REFUSALS = {FleetError.GPX_INVALID.code, FleetError.GPX_TOO_LARGE.code, FleetError.TRACK_NEEDS_VEHICLE.code}


def _bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    lats, lngs = [p[0] for p in points], [p[1] for p in points]
    return min(lats), max(lats), min(lngs), max(lngs)


def track_svg(points: list[dict], fence: list[list[float]] | None) -> dict | None:
    """The track projected into the viewBox (equirectangular at its mean latitude, north up,
    fitted with a margin), its start and end, and the fence's outline when it comes near."""
    if not points:
        return None
    coords = [(p["lat"], p["lng"]) for p in points]
    south, north, west, east = _bounds(coords)
    scale_x = math.cos(math.radians((south + north) / 2))
    span = max((east - west) * scale_x, north - south, 1e-4)
    unit = min((WIDTH - 2 * MARGIN) / span, (HEIGHT - 2 * MARGIN) / span)
    off_x = (WIDTH - (east - west) * scale_x * unit) / 2
    off_y = (HEIGHT - (north - south) * unit) / 2

    def xy(lat: float, lng: float) -> tuple[float, float]:
        return round(off_x + (lng - west) * scale_x * unit, 1), round(off_y + (north - lat) * unit, 1)

    line = [xy(lat, lng) for lat, lng in coords]
    outline = None
    if fence:
        f_south, f_north, f_west, f_east = _bounds([(v[1], v[0]) for v in fence])
        pad_lat, pad_lng = max(north - south, 0.05), max(east - west, 0.05)
        near = f_south <= north + pad_lat and f_north >= south - pad_lat
        near = near and f_west <= east + pad_lng and f_east >= west - pad_lng
        if near:
            outline = " ".join(f"{x},{y}" for x, y in (xy(v[1], v[0]) for v in fence))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "line": " ".join(f"{x},{y}" for x, y in line),
        "start": line[0],
        "end": line[-1],
        "fence": outline,
        "count": len(points),
    }


async def _trip_page(request: Request, trip_id: int, status: int = 200, errors: FormErrors | None = None):
    trip = await tracks.trip_summary(trip_id)
    fence = await compliance.active_geofence()
    points = await tracks.track(trip_id)
    return await page(
        request,
        "fleet/trip.html",
        status=status,
        trip=trip,
        flags=await compliance.flags_of_trip(trip_id),
        svg=track_svg(points, fence.polygon if fence else None),
        fence_name=fence.name if fence else "",
        datums=[(d.value, d.label) for d in Datum],
        can_upload=trip["has_vehicle"] and (can(request, P.MANAGE_FLEET) or can(request, P.DISPATCH_TRIP)),
        flash=_imported(request),
        errors=errors or FormErrors(),
    )


def _imported(request: Request) -> str:
    said = flash(request, {"imported": "轨迹已导入"})
    added = request.args.get("added", "")
    return f"{said}，新增 {added} 个定位点" if said and added.isdigit() else said


@bp.get("/<trip_id:int>")
@console_page(P.VIEW_FLEET)
async def trip_page(request: Request, trip_id: int):
    return await _trip_page(request, trip_id)


@bp.post("/<trip_id:int>/gpx")
@console_page(P.VIEW_FLEET)
async def upload_gpx(request: Request, trip_id: int):
    """A GPX file for the trip's track, in the datum the admin chose (WGS-84 unless said)."""
    if not (can(request, P.MANAGE_FLEET) or can(request, P.DISPATCH_TRIP)):
        raise AuthError.PERMISSION_DENIED.error()
    upload = request.files.get("file") if request.files else None
    if upload is None or not upload.body:
        return await _trip_page(request, trip_id, 422, FormErrors({"file": "请选择 GPX 文件"}))
    datum_value = (request.form.get("datum") if request.form else "") or Datum.WGS84.value
    if datum_value not in {d.value for d in Datum}:
        return await _trip_page(request, trip_id, 422, FormErrors({"datum": "请选择坐标系"}))
    settings = settings_of(runtime(request).settings, "fleet")
    try:
        result = await tracks.import_gpx(
            actor(request), trip_id, upload.body, Datum(datum_value), settings.max_gpx_bytes, now()
        )
    except AppError as refusal:
        if refusal.code not in GPX_REFUSALS:
            raise
        return await _trip_page(request, trip_id, 422, FormErrors({"file": refusal.message}))
    return redirect(f"/console/fleet/trips/{trip_id}?done=imported&added={result['added']}")
