"""GPX files made on the spot for the official-cars tests: a track from points, and a short
drive north-east through the city, a point a minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def gpx(points: list[tuple[float, float, datetime]]) -> bytes:
    body = "".join(
        f'<trkpt lat="{lat}" lon="{lng}"><time>{at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}</time></trkpt>'
        for lat, lng, at in points
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{body}</trkseg></trk></gpx>'
    ).encode()


def drive(n: int, start: datetime) -> list[tuple[float, float, datetime]]:
    return [(30.27 + i * 0.001, 120.15 + i * 0.0005, start + timedelta(minutes=i)) for i in range(n)]
