"""Geometry for tracks and checks: GCJ-02 (国测局坐标, what Chinese maps and many terminals give)
to WGS-84 and back, distance on the earth, whether a point lies in a polygon, and simplifying a
track for display.

GCJ-02 is the published forward transform from WGS-84 (the Krasovsky-ellipsoid offset used by
every open implementation); it has no closed inverse, so WGS-84 is found by fixed-point
iteration on the forward transform, which converges to well under a metre in a few steps.
Outside China (the usual bounding box) GCJ-02 equals WGS-84.

Simplification is Ramer–Douglas–Peucker in metres, written here rather than taken from gpxpy's
`simplify_polyline`: that one recurses once per kept point (deep on a long drive) and chooses
the farthest point by a degree-space line equation that degenerates when a track ends where it
started, which is exactly a car's round trip back to base."""

from __future__ import annotations

import math
from collections.abc import Sequence

EARTH_RADIUS_M = 6_371_008.8
# The Krasovsky 1940 ellipsoid the GCJ-02 transform is defined on.
_KRASOVSKY_A = 6_378_245.0
_KRASOVSKY_EE = 0.00669342162296594323
_INVERSE_STEPS = 30
_INVERSE_TOLERANCE_DEG = 1e-10


def plausible(lat: float, lng: float) -> bool:
    """Real coordinates: finite, latitude within ±90°, longitude within ±180°."""
    return math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180


def outside_china(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offset_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) as a Chinese map would show it."""
    if outside_china(lat, lng):
        return lat, lng
    d_lat = _offset_lat(lng - 105.0, lat - 35.0)
    d_lng = _offset_lng(lng - 105.0, lat - 35.0)
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _KRASOVSKY_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_KRASOVSKY_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The WGS-84 point whose GCJ-02 image is (lat, lng): the offset varies slowly, so stepping
    back by the offset observed at the current guess converges geometrically."""
    if outside_china(lat, lng):
        return lat, lng
    guess_lat, guess_lng = lat, lng
    for _ in range(_INVERSE_STEPS):
        shifted_lat, shifted_lng = wgs84_to_gcj02(guess_lat, guess_lng)
        error_lat, error_lng = shifted_lat - lat, shifted_lng - lng
        guess_lat, guess_lng = guess_lat - error_lat, guess_lng - error_lng
        if abs(error_lat) < _INVERSE_TOLERANCE_DEG and abs(error_lng) < _INVERSE_TOLERANCE_DEG:
            break
    return guess_lat, guess_lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def contains(polygon: Sequence[Sequence[float]], lat: float, lng: float) -> bool:
    """Whether the point is inside the polygon of [lng, lat] vertices (even–odd ray casting; the
    ring may or may not repeat its first vertex). A city's fence is small enough that treating
    degrees as planar moves its edge by far less than GPS error."""
    inside = False
    count = len(polygon)
    for i in range(count):
        x1, y1 = polygon[i][0], polygon[i][1]
        x2, y2 = polygon[(i + 1) % count][0], polygon[(i + 1) % count][1]
        if (y1 > lat) != (y2 > lat) and lng < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _local_xy(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points (lat, lng) as metres east and north of the first one, on the plane tangent at
    their mean latitude: exact enough over a day's drive for choosing which points to keep."""
    mean_lat = math.radians(sum(p[0] for p in points) / len(points))
    metres_per_deg = math.pi * EARTH_RADIUS_M / 180
    lat0, lng0 = points[0]
    return [((lng - lng0) * metres_per_deg * math.cos(mean_lat), (lat - lat0) * metres_per_deg) for lat, lng in points]


def _off_segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance of p from the segment ab (from a itself when a and b coincide)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def simplify(points: Sequence[tuple[float, float]], tolerance_m: float) -> list[int]:
    """The indexes of the points (lat, lng) Ramer–Douglas–Peucker keeps at `tolerance_m`: every
    dropped point lies within that distance of the simplified line. First and last are always
    kept. Iterative (an explicit stack), so a long track cannot exhaust the recursion limit."""
    if len(points) < 3:
        return list(range(len(points)))
    xy = _local_xy(points)
    keep = {0, len(points) - 1}
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, distance = first, -1.0
        for i in range(first + 1, last):
            d = _off_segment(xy[i], xy[first], xy[last])
            if d > distance:
                farthest, distance = i, d
        if distance > tolerance_m:
            keep.add(farthest)
            stack += [(first, farthest), (farthest, last)]
    return sorted(keep)
