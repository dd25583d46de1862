from datetime import timedelta

import pytest

from bookings.tests import fixtures as shared
from bookings.tests.factories import AircraftFactory, BookingFactory
from tests.http_fake import FakeHTTPServer
from weather.tests import payloads

NOW = shared.NOW
now, kpao = shared.now, shared.kpao  # the summer clock and home airport, as fixtures here


@pytest.fixture
def flight(now, kpao, owner, colleague):
    """The owner's (a private pilot) local dual lesson with the colleague, 18:00-20:00Z today."""
    plane = AircraftFactory(tail_number="N739SP", home_airport=kpao)
    return BookingFactory(student=owner, instructor=colleague, aircraft=plane, departure_airport=kpao,
                          start=now + timedelta(hours=3), end=now + timedelta(hours=5))


class Weather:
    """Fake providers on one loopback server. Set `owm`/`wapi` to override hourly values per (lat, lon, hour)."""

    def __init__(self, server, now):
        self.server, self.now = server, now
        self.owm = None
        self.wapi = None
        self.metars: list[dict] = []
        self.tafs: list[dict] = []

    def _owm(self, request):
        lat, lon = float(request.query["lat"]), float(request.query["lon"])
        override = (lambda hour: self.owm(lat, lon, hour)) if self.owm else None
        return 200, payloads.owm_onecall(lat, lon, start=self.now, override=override)

    def _wapi(self, request):
        lat, lon = (float(v) for v in request.query["q"].split(","))
        override = (lambda hour: self.wapi(lat, lon, hour)) if self.wapi else None
        return 200, payloads.weatherapi_forecast(lat, lon, start=self.now, override=override)

    def install(self):
        self.server.route("GET", "/data/3.0/onecall", self._owm)
        self.server.route("GET", "/v1/forecast.json", self._wapi)
        self.server.route("GET", "/api/data/metar", lambda r: (200, self.metars) if self.metars else (204, b""))
        self.server.route("GET", "/api/data/taf", lambda r: (200, self.tafs) if self.tafs else (204, b""))


@pytest.fixture
def weather(settings, now):
    with FakeHTTPServer() as server:
        settings.OPENWEATHERMAP_BASE_URL = server.url
        settings.WEATHERAPI_BASE_URL = server.url
        settings.AVIATIONWEATHER_BASE_URL = server.url
        settings.OPENWEATHERMAP_API_KEY = "owm-test-key"
        settings.WEATHERAPI_COM_KEY = "wapi-test-key"
        settings.WEATHER_PROVIDERS = ["openweathermap", "weatherapi"]
        settings.WEATHER_RETRY_BACKOFF_SECONDS = 0.01
        # Room for a loaded machine; the tests about timeouts set their own, far shorter.
        settings.WEATHER_HTTP_TIMEOUT_SECONDS = 10.0
        fake = Weather(server, now)
        fake.install()
        yield fake
