"""The geometry under tracks and checks: GCJ-02 against published reference pairs, its inverse to
under a metre, distances, polygons and track simplification."""

import pytest

from backend.fleet.service import geo

# (WGS-84 lat, lng) -> (GCJ-02 lat, lng), the reference pairs of the eviltransform test suite.
REFERENCE = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]
HANGZHOU = (30.2741, 120.1551)  # 杭州市民中心附近


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_wgs84_to_gcj02_matches_published_pairs(wgs, gcj):
    lat, lng = geo.wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-7) and lng == pytest.approx(gcj[1], abs=1e-7)


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_gcj02_to_wgs84_recovers_the_point_within_a_metre(wgs, gcj):
    assert geo.distance_m(*geo.gcj02_to_wgs84(*gcj), *wgs) < 1.0


def test_the_hangzhou_offset_is_hundreds_of_metres_and_round_trips():
    shifted = geo.wgs84_to_gcj02(*HANGZHOU)
    assert 300 < geo.distance_m(*HANGZHOU, *shifted) < 700
    assert geo.distance_m(*geo.gcj02_to_wgs84(*shifted), *HANGZHOU) < 0.01


def test_outside_china_there_is_no_offset():
    paris = (48.8584, 2.2945)
    assert geo.wgs84_to_gcj02(*paris) == paris and geo.gcj02_to_wgs84(*paris) == paris


def test_distance_of_one_degree_of_latitude():
    assert geo.distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    assert geo.distance_m(30.0, 120.0, 30.0, 120.0) == 0


def test_polygon_contains_points_inside_and_not_outside():
    square = [[120.0, 30.0], [120.2, 30.0], [120.2, 30.2], [120.0, 30.2]]
    assert geo.contains(square, 30.1, 120.1)
    assert not geo.contains(square, 30.1, 120.3)
    assert not geo.contains(square, 29.9, 120.1)
    closed = [*square, square[0]]
    assert geo.contains(closed, 30.1, 120.1) and not geo.contains(closed, 30.3, 120.1)


def test_plausible_refuses_absurd_coordinates():
    assert geo.plausible(30.0, 120.0)
    assert not geo.plausible(91.0, 120.0) and not geo.plausible(30.0, 181.0)
    assert not geo.plausible(float("nan"), 120.0)


def test_simplify_drops_points_on_a_straight_line_and_keeps_corners():
    # a straight road north, then a right turn east (about 11 m between points)
    north = [(30.0 + i * 0.0001, 120.0) for i in range(50)]
    east = [(north[-1][0], 120.0 + i * 0.0001) for i in range(1, 50)]
    kept = geo.simplify(north + east, 10.0)
    assert kept == [0, 49, 98]


def test_simplify_keeps_the_far_point_of_a_round_trip():
    """A car that comes back where it started: the line from start to end is a point."""
    out = [(30.0 + i * 0.001, 120.0) for i in range(10)]
    track = out + out[-2::-1]
    kept = geo.simplify(track, 10.0)
    assert kept[0] == 0 and kept[-1] == len(track) - 1 and 9 in kept
    assert len(kept) == 3


def test_simplify_keeps_every_dropped_point_within_the_tolerance():
    import math

    wiggle = [(30.0 + i * 0.0002, 120.0 + 0.00005 * math.sin(i)) for i in range(200)]
    kept = geo.simplify(wiggle, 3.0)
    for a, b in zip(kept, kept[1:], strict=False):
        for i in range(a + 1, b):
            xy = geo._local_xy([wiggle[a], wiggle[i], wiggle[b]])
            assert geo._off_segment(xy[1], xy[0], xy[2]) <= 3.0 + 1e-6
    assert len(kept) < len(wiggle)
