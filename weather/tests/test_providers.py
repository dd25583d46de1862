"""Each provider through the HTTP boundary: real request shapes, real units, and errors that say whether to retry."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests.http_fake import FakeHTTPServer
from weather.providers.aviationweather import AviationWeatherProvider
from weather.providers.base import Location, ProviderError
from weather.providers.demo import SCENARIOS, DemoProvider, scenario_for
from weather.providers.openweathermap import OpenWeatherMapProvider
from weather.providers.weatherapi import WeatherApiProvider
from weather.tests.payloads import awc_metar, awc_taf, utc

KPAO = Location("KPAO", 37.4611, -122.115, "KPAO")
POINT = Location("pt:36.0,-121.0", 36.0, -121.0)


def hour_of(samples, hour):
    return next(s for s in samples if s.valid_at == hour)


def test_openweathermap_converts_kelvin_metres_and_metres_per_second(weather, now):
    target = now + timedelta(hours=3)
    weather.owm = lambda lat, lon, hour: {"visibility": 4000, "wind_speed": 10.0, "wind_gust": 15.0, "temp": 283.15,
                                          "dew_point": 282.15, "clouds": 90,
                                          "weather": [{"id": 511, "main": "Rain", "description": "freezing rain",
                                                       "icon": "13d"}]} if hour == target else None
    result = OpenWeatherMapProvider().fetch_batch([KPAO], now=now)
    sample = hour_of(result.hours["KPAO"], target)
    assert sample.visibility_sm == 2.49
    assert sample.wind_kt == 19.4 and sample.gust_kt == 29.2
    assert (sample.temperature_c, sample.dewpoint_c) == (10.0, 9.0)
    assert sample.cloud_pct == 90 and sample.phenomena == ("FZRA",)
    request = weather.server.requests[-1]
    assert request.query["appid"] == "owm-test-key"
    assert request.query["exclude"] == "current,minutely,daily,alerts"
    assert "units" not in request.query  # standard units: Kelvin and m/s, as converted above


def test_weatherapi_takes_visibility_from_vis_km_not_the_rounded_vis_miles(weather, now):
    target = now + timedelta(hours=3)
    weather.wapi = lambda lat, lon, hour: {"vis_km": 4.7, "vis_miles": 3.0, "wind_kph": 37.0, "gust_kph": 55.6,
                                           "condition": {"text": "Moderate or heavy rain with thunder", "icon": "",
                                                         "code": 1276}} if hour == target else None
    sample = hour_of(WeatherApiProvider().fetch_batch([POINT], now=now).hours[POINT.key], target)
    assert sample.visibility_sm == 2.92
    assert sample.wind_kt == 20.0 and sample.gust_kt == 30.0
    assert "TS" in sample.phenomena
    assert weather.server.requests[-1].query["q"] == "36.0000,-121.0000"


def test_aviationweather_parses_raw_metar_and_taf_with_tempo_worst_case(weather, now):
    weather.metars = [awc_metar("KPAO", "KPAO 011453Z 31008KT 10SM FEW040 18/08 A3001", now - timedelta(minutes=7))]
    weather.tafs = [awc_taf(
        "KPAO", "TAF KPAO 011130Z 0112/0212 30010KT P6SM SCT040 TEMPO 0118/0120 3SM TSRA BKN025CB "
                "FM020000 28012G22KT 5SM BR BKN015",
        issued=utc(2026, 6, 1, 11, 30), valid_from=utc(2026, 6, 1, 12), valid_to=utc(2026, 6, 2, 12))]
    result = AviationWeatherProvider().fetch_batch([KPAO, POINT], now=now)
    assert POINT.key not in result.hours  # no point forecasts from the AWC
    hours = result.hours["KPAO"]
    first = hour_of(hours, now)
    assert first.source == "metar" and first.visibility_sm == 10.0 and first.wind_kt == 8
    tempo = hour_of(hours, utc(2026, 6, 1, 18))
    assert tempo.source == "taf"
    assert "TSRA" in tempo.phenomena and tempo.visibility_sm == 3.0
    assert ("BKN", 2500) in [(c.cover, c.base_ft) for c in tempo.clouds]
    after = hour_of(hours, utc(2026, 6, 1, 20))
    assert "TSRA" not in after.phenomena and after.visibility_sm == 6.0  # P6SM counts as six
    night = hour_of(hours, utc(2026, 6, 2, 1))
    assert night.gust_kt == 22 and night.visibility_sm == 5.0
    assert ("BKN", 1500) in [(c.cover, c.base_ft) for c in night.clouds]
    assert weather.server.requests[0].query == {"ids": "KPAO", "format": "json"}


def test_aviationweather_reads_icao_metres(weather, now):
    weather.tafs = [awc_taf("EGLL", "TAF EGLL 011100Z 0112/0218 24008KT 9999 SCT035 TEMPO 0115/0118 4000 SHRA",
                            issued=utc(2026, 6, 1, 11), valid_from=utc(2026, 6, 1, 12), valid_to=utc(2026, 6, 2, 18))]
    egll = Location("EGLL", 51.47, -0.45, "EGLL")
    hours = AviationWeatherProvider().fetch_batch([egll], now=now).hours["EGLL"]
    assert hour_of(hours, utc(2026, 6, 1, 16)).visibility_sm == 2.49  # 4000 m in the TEMPO group
    assert hour_of(hours, utc(2026, 6, 1, 20)).visibility_sm == 6.21  # 9999 m


@pytest.mark.parametrize("status, retryable", [(500, True), (503, True), (429, True), (401, False), (404, False)])
def test_http_errors_say_whether_a_retry_can_help(weather, now, status, retryable):
    weather.server.route("GET", "/data/3.0/onecall", lambda r: (status, {"cod": status, "message": "nope"}))
    with pytest.raises(ProviderError) as caught:
        OpenWeatherMapProvider().fetch_batch([KPAO], now=now)
    assert caught.value.retryable is retryable
    assert caught.value.status_code == status


def test_malformed_json_and_missing_fields_are_not_retryable(weather, now):
    weather.server.route("GET", "/v1/forecast.json", lambda r: (200, "{not json", {"Content-Type": "application/json"}))
    with pytest.raises(ProviderError) as caught:
        WeatherApiProvider().fetch_batch([KPAO], now=now)
    assert caught.value.retryable is False and "malformed" in caught.value.message
    weather.server.route("GET", "/data/3.0/onecall", lambda r: (200, {"lat": 1, "lon": 2}))
    with pytest.raises(ProviderError) as caught:
        OpenWeatherMapProvider().fetch_batch([KPAO], now=now)
    assert caught.value.retryable is False


def test_a_timeout_is_retryable(weather, now, settings):
    settings.WEATHER_HTTP_TIMEOUT_SECONDS = 0.2
    weather.server.route("GET", "/data/3.0/onecall", lambda r: (200, {}), delay=0.6)
    with pytest.raises(ProviderError) as caught:
        OpenWeatherMapProvider().fetch_batch([KPAO], now=now)
    assert caught.value.retryable is True


def test_demo_is_deterministic_and_offers_every_scenario(now):
    first = DemoProvider().fetch_batch([KPAO, POINT], now=now)
    second = DemoProvider().fetch_batch([KPAO, POINT], now=now)
    assert first.hours == second.hours
    seen = {scenario_for(f"K{i:03d}", now) for i in range(400)}
    assert seen == set(SCENARIOS)
    clear = sum(scenario_for(f"K{i:03d}", now) == "clear" for i in range(400))
    assert clear > 250  # most flights are clear


def test_a_sky_nobody_reported_is_stored_and_read_back_as_unknown_not_clear(now):
    from weather import forecasts
    from weather.tests.samples import sample

    for clouds in (None, (), (("BKN", 1200),)):
        original = sample("aviationweather", clouds=clouds)
        assert forecasts.decode(forecasts.encode(original), provider="aviationweather") == original


def test_hourly_providers_without_a_cloud_figure_leave_the_ceiling_unknown(weather, now):
    target = now + timedelta(hours=3)
    weather.owm = lambda lat, lon, hour: {"clouds": None, "visibility": None} if hour == target else None
    sample = hour_of(OpenWeatherMapProvider().fetch_batch([KPAO], now=now).hours["KPAO"], target)
    assert sample.clouds is None and sample.cloud_pct is None and sample.visibility_sm is None


def _fetch_on_a_new_thread(now):
    """As the monitor fetches: on a worker thread of its own, whose session reads the environment afresh."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(OpenWeatherMapProvider().fetch_batch, [KPAO], now=now).result()


@pytest.fixture
def no_proxy_settings(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_providers_are_asked_through_the_proxy_the_environment_names(weather, now, settings, no_proxy_settings):
    with FakeHTTPServer() as proxy:
        proxy.route("GET", "/data/3.0/onecall", weather._owm)
        # Only the proxy can reach this host: the request must go through it.
        settings.OPENWEATHERMAP_BASE_URL = "http://owm.behind-the-proxy.test"
        no_proxy_settings.setenv("HTTP_PROXY", proxy.url)
        assert _fetch_on_a_new_thread(now).hours["KPAO"]
        assert proxy.requests[-1].headers["host"] == "owm.behind-the-proxy.test"
        assert weather.server.count() == 0


def test_hosts_the_environment_exempts_from_the_proxy_are_asked_directly(weather, now, no_proxy_settings):
    no_proxy_settings.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens on the discard port
    with pytest.raises(ProviderError) as caught:
        _fetch_on_a_new_thread(now)
    assert caught.value.retryable is True and weather.server.count() == 0
    no_proxy_settings.setenv("NO_PROXY", "127.0.0.1")
    assert _fetch_on_a_new_thread(now).hours["KPAO"] and weather.server.count() == 1
