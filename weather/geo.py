"""Great-circle geometry for route corridors: distance and points every 25 nm between two airports."""

from __future__ import annotations

import math

from weather.providers.base import Location

EARTH_RADIUS_NM = 3440.065
CORRIDOR_SPACING_NM = 25.0
# Corridor points are snapped to a 0.2 degree grid (at most about 8 nm off the line, finer than the hourly
# models' own resolution) so that routes sharing a stretch of sky share forecast requests.
POINT_GRID_DEGREES = 0.2


def distance_nm(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in nautical miles."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_NM * math.asin(min(1.0, math.sqrt(a)))


def initial_bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """True course from the first point towards the second, 0-360 degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlmb = math.radians(lon2 - lon1)
    x = math.sin(dlmb) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlmb)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


COMPASS_POINTS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


def compass_word(bearing_deg: float) -> str:
    """`south-east` for 135 degrees: the nearest of the eight compass points."""
    return COMPASS_POINTS[round(bearing_deg / 45) % 8]


def intermediate_point(lat1: float, lon1: float, lat2: float, lon2: float, fraction: float) -> tuple[float, float]:
    """The point `fraction` of the way along the great circle from the first point to the second."""
    phi1, lmb1, phi2, lmb2 = map(math.radians, (lat1, lon1, lat2, lon2))
    delta = distance_nm(lat1, lon1, lat2, lon2) / EARTH_RADIUS_NM
    if delta == 0:
        return lat1, lon1
    a = math.sin((1 - fraction) * delta) / math.sin(delta)
    b = math.sin(fraction * delta) / math.sin(delta)
    x = a * math.cos(phi1) * math.cos(lmb1) + b * math.cos(phi2) * math.cos(lmb2)
    y = a * math.cos(phi1) * math.sin(lmb1) + b * math.cos(phi2) * math.sin(lmb2)
    z = a * math.sin(phi1) + b * math.sin(phi2)
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    lon = math.degrees(math.atan2(y, x))
    return lat, (lon + 540) % 360 - 180


def corridor_points(lat1: float, lon1: float, lat2: float, lon2: float,
                    spacing_nm: float = CORRIDOR_SPACING_NM) -> list[tuple[float, float, float]]:
    """(lat, lon, nm from the start) every `spacing_nm` strictly between the two ends."""
    total = distance_nm(lat1, lon1, lat2, lon2)
    points = []
    step = 1
    while step * spacing_nm < total:
        along = step * spacing_nm
        lat, lon = intermediate_point(lat1, lon1, lat2, lon2, along / total)
        points.append((lat, lon, along))
        step += 1
    return points


def point_location(lat: float, lon: float) -> Location:
    lat = round(round(lat / POINT_GRID_DEGREES) * POINT_GRID_DEGREES, 1)
    lon = round(round(lon / POINT_GRID_DEGREES) * POINT_GRID_DEGREES, 1)
    return Location(key=f"pt:{lat:.1f},{lon:.1f}", latitude=lat, longitude=lon)


def airport_location(airport) -> Location:
    return Location(key=airport.icao, latitude=airport.latitude, longitude=airport.longitude, icao=airport.icao)


def format_point(lat: float, lon: float) -> str:
    return f"{abs(lat):.1f}{'N' if lat >= 0 else 'S'} {abs(lon):.1f}{'E' if lon >= 0 else 'W'}"
