"""Answers shaped like the real providers' documented JSON, units included.

OpenWeatherMap One Call 3.0 without `units`: Kelvin, m/s, metres. WeatherAPI.com forecast.json: km/h, km,
°C, `vis_miles` rounded to whole miles. Aviation Weather Center Data API: arrays of METAR/TAF objects.
"""

from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)
KELVIN = 273.15


def owm_onecall(lat: float, lon: float, *, start: datetime, hours: int = 48, override=None) -> dict:
    """`override(hour) -> dict` replaces fields of the hourly item for that hour."""
    start = start.replace(minute=0, second=0, microsecond=0)
    hourly = []
    for i in range(hours):
        moment = start + i * HOUR
        item = {
            "dt": int(moment.timestamp()), "temp": 291.15, "feels_like": 290.6, "pressure": 1016, "humidity": 52,
            "dew_point": 281.15, "uvi": 3.2, "clouds": 10, "visibility": 10000, "wind_speed": 3.1, "wind_deg": 300,
            "wind_gust": 4.6, "weather": [{"id": 800, "main": "Clear", "description": "clear sky", "icon": "01d"}],
            "pop": 0,
        }
        if override:
            item.update(override(moment) or {})
        hourly.append(item)
    return {"lat": round(lat, 4), "lon": round(lon, 4), "timezone": "America/Los_Angeles",
            "timezone_offset": -25200, "hourly": hourly}


def weatherapi_forecast(lat: float, lon: float, *, start: datetime, override=None) -> dict:
    day0 = start.replace(hour=0, minute=0, second=0, microsecond=0)
    days = []
    for d in range(3):
        day = day0 + timedelta(days=d)
        hours = []
        for h in range(24):
            moment = day + h * HOUR
            item = {
                "time_epoch": int(moment.timestamp()), "time": moment.strftime("%Y-%m-%d %H:%M"), "temp_c": 18.0,
                "temp_f": 64.4, "is_day": 1, "condition": {"text": "Sunny", "icon": "//cdn.weatherapi.com/113.png",
                                                           "code": 1000},
                "wind_mph": 6.9, "wind_kph": 11.2, "wind_degree": 300, "wind_dir": "WNW", "pressure_mb": 1016.0,
                "pressure_in": 30.0, "precip_mm": 0.0, "precip_in": 0.0, "humidity": 52, "cloud": 10,
                "feelslike_c": 18.0, "feelslike_f": 64.4, "windchill_c": 18.0, "windchill_f": 64.4,
                "heatindex_c": 18.0, "heatindex_f": 64.4, "dewpoint_c": 8.0, "dewpoint_f": 46.4, "will_it_rain": 0,
                "chance_of_rain": 0, "will_it_snow": 0, "chance_of_snow": 0, "vis_km": 10.0, "vis_miles": 6.0,
                "gust_mph": 9.4, "gust_kph": 15.1, "uv": 4.0,
            }
            if override:
                item.update(override(moment) or {})
            hours.append(item)
        days.append({"date": day.strftime("%Y-%m-%d"), "date_epoch": int(day.timestamp()), "day": {}, "astro": {},
                     "hour": hours})
    return {"location": {"name": "Palo Alto", "region": "California", "country": "USA", "lat": lat, "lon": lon,
                         "tz_id": "America/Los_Angeles", "localtime_epoch": int(start.timestamp())},
            "current": {}, "forecast": {"forecastday": days}}


def awc_metar(icao: str, raw: str, observed: datetime) -> dict:
    return {"icaoId": icao, "receiptTime": observed.strftime("%Y-%m-%d %H:%M:%S"),
            "obsTime": int(observed.timestamp()), "reportTime": observed.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "temp": 18, "dewp": 8, "wdir": 310, "wspd": 8, "visib": "10+", "altim": 1016.3, "metarType": "METAR",
            "rawOb": raw, "lat": 37.461, "lon": -122.115, "elev": 2, "name": "Palo Alto Arpt, CA, US",
            "clouds": [], "fltCat": "VFR"}


def awc_taf(icao: str, raw: str, issued: datetime, valid_from: datetime, valid_to: datetime) -> dict:
    return {"icaoId": icao, "dbPopTime": issued.strftime("%Y-%m-%d %H:%M:%S"),
            "bulletinTime": issued.strftime("%Y-%m-%d %H:%M:%S"), "issueTime": issued.strftime("%Y-%m-%d %H:%M:%S"),
            "validTimeFrom": int(valid_from.timestamp()), "validTimeTo": int(valid_to.timestamp()),
            "rawTAF": raw, "mostRecent": 1, "remarks": "", "lat": 37.461, "lon": -122.115, "elev": 2, "prior": 0,
            "name": "Palo Alto Arpt, CA, US", "fcsts": []}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)
