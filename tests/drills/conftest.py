"""Shared pieces of the fault drills: a school with one flight, weather providers and Claude on loopback."""

from datetime import UTC, datetime, timedelta

import pytest

from availability.tests.factories import available_every_day
from bookings.tests.factories import AircraftFactory, AirportFactory, BookingFactory
from notifications.tests.smtp import FakeSMTPServer
from tests.http_fake import FakeHTTPServer
from weather.tests.conftest import Weather

# The drills run on the real clock (threads and subprocesses cannot share a frozen one); the flight is
# three hours from now, inside the monitor's lookahead and the providers' 48-hour answers.
HOUR = timedelta(hours=1)


def this_hour() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def flight(db, owner, colleague):
    kpao = AirportFactory()
    plane = AircraftFactory(tail_number="N739SP", home_airport=kpao)
    available_every_day(instructor=colleague)
    available_every_day(aircraft=plane)
    start = this_hour() + 3 * HOUR
    return BookingFactory(student=owner, instructor=colleague, aircraft=plane, departure_airport=kpao,
                          start=start, end=start + 2 * HOUR)


@pytest.fixture
def providers(settings):
    """OpenWeatherMap and WeatherAPI.com on one loopback server; `providers.owm`/`.wapi` override hours."""
    with FakeHTTPServer() as server:
        settings.OPENWEATHERMAP_BASE_URL = settings.WEATHERAPI_BASE_URL = server.url
        settings.AVIATIONWEATHER_BASE_URL = server.url
        settings.OPENWEATHERMAP_API_KEY = "owm-drill-key"
        settings.WEATHERAPI_COM_KEY = "wapi-drill-key"
        settings.WEATHER_PROVIDERS = ["openweathermap", "weatherapi"]
        settings.WEATHER_RETRY_BACKOFF_SECONDS = 0.01
        settings.WEATHER_HTTP_TIMEOUT_SECONDS = 2.0
        fake = Weather(server, this_hour())
        fake.install()
        yield fake


def fog(fake: Weather) -> None:
    """Visibility 1 km / 0.6 sm at every location and hour from both providers: below every VFR minimum."""
    fake.owm = lambda lat, lon, hour: {"visibility": 1000, "clouds": 100}
    fake.wapi = lambda lat, lon, hour: {"vis_km": 1.0, "vis_miles": 0.0, "cloud": 100}


@pytest.fixture
def smtp(settings):
    with FakeSMTPServer() as server:
        server.configure(settings)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        yield server


@pytest.fixture
def claude_down(settings):
    """Claude configured, and answering every call with 529 overloaded, as the Messages API does."""
    with FakeHTTPServer() as server:
        server.route("POST", "/v1/messages", lambda request: (529, {
            "type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
        settings.ANTHROPIC_API_KEY = "sk-ant-drill"
        settings.ANTHROPIC_BASE_URL = server.url
        yield server
