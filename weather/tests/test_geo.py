import pytest

from weather.geo import corridor_points, distance_nm, intermediate_point, point_location

KSFO = (37.618999, -122.375)
KLAX = (33.942501, -118.407997)


def test_distance_matches_the_published_great_circle_between_sfo_and_lax():
    # Published great-circle distance SFO-LAX: 293 nm.
    assert distance_nm(*KSFO, *KLAX) == pytest.approx(293, abs=1.5)


def test_corridor_points_every_25_nm_lie_on_the_great_circle():
    points = corridor_points(*KSFO, *KLAX)
    total = distance_nm(*KSFO, *KLAX)
    assert len(points) == int(total // 25)  # 25, 50, ... 275 nm: strictly between the ends
    for lat, lon, along in points:
        from_start = distance_nm(*KSFO, lat, lon)
        to_end = distance_nm(lat, lon, *KLAX)
        assert from_start == pytest.approx(along, abs=0.01)
        assert from_start + to_end == pytest.approx(total, abs=0.01)  # no detour off the great circle
    spacing = [distance_nm(a[0], a[1], b[0], b[1]) for a, b in zip(points, points[1:], strict=False)]
    assert all(s == pytest.approx(25, abs=0.01) for s in spacing)


def test_a_short_hop_has_no_corridor_points_and_crossing_the_antimeridian_stays_sane():
    assert corridor_points(37.46, -122.11, 37.51, -122.25) == []
    lat, lon = intermediate_point(10, 179.5, 10, -179.5, 0.5)
    assert lat == pytest.approx(10, abs=0.01)
    assert abs(lon) == pytest.approx(180, abs=0.01)


def test_corridor_points_snap_to_a_shared_grid():
    assert point_location(37.4649, -122.1149).key == "pt:37.4,-122.2"
    assert point_location(37.4649, -122.1149) == point_location(37.45, -122.15)
    assert point_location(37.4649, -122.1149) != point_location(37.75, -122.15)
