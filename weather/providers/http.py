"""The HTTP client every provider module uses: timeouts, and errors that say whether a retry can help."""

import threading
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings

from weather.providers.base import ProviderError

_local = threading.local()


def _session() -> requests.Session:
    # One session per worker thread: connection reuse without sharing a Session across threads.
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.headers["User-Agent"] = "FlightSchedulePro/1.0 (weather monitor)"
        # The environment (proxies, a CA bundle) is read once per host by `_environment`, not on every request.
        session.trust_env = False
        _local.session, _local.environment = session, {}
    return session


def _environment(url: str) -> dict:
    """What requests takes from the environment for `url`: HTTP(S)_PROXY and NO_PROXY, REQUESTS_CA_BUNDLE or
    CURL_CA_BUNDLE. Worked out once per thread and host, as requests itself would for each request (which
    scans the whole environment every time: a fifth of a provider request's CPU). .netrc is not read: every
    provider authenticates with its key in the query."""
    parts = urlsplit(url)
    host = (parts.scheme, parts.netloc)
    found = _local.environment.get(host)
    if found is None:
        with requests.Session() as probe:
            merged = probe.merge_environment_settings(url, {}, None, None, None)
        found = _local.environment[host] = {"proxies": merged["proxies"], "verify": merged["verify"]}
    return found


def get_json(provider: str, url: str, *, params: dict | None = None):
    """GET a JSON document. Timeouts, connection errors and 5xx/429 are retryable; other 4xx and bad JSON are not."""
    timeout = settings.WEATHER_HTTP_TIMEOUT_SECONDS
    try:
        session = _session()
        response = session.get(url, params=params, timeout=timeout, **_environment(url))
    except requests.Timeout:
        raise ProviderError(provider, f"no answer within {timeout:g} s", retryable=True)
    except requests.ConnectionError as exc:
        raise ProviderError(provider, f"connection failed: {type(exc).__name__}", retryable=True)
    except requests.RequestException as exc:
        raise ProviderError(provider, f"request failed: {type(exc).__name__}", retryable=False)
    status = response.status_code
    if status >= 500 or status == 429:
        raise ProviderError(provider, f"HTTP {status}", retryable=True, status_code=status)
    if status >= 400:
        raise ProviderError(provider, f"HTTP {status}", retryable=False, status_code=status)
    if status == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ProviderError(provider, "malformed JSON", retryable=False, status_code=status)


def malformed(provider: str, what: str) -> ProviderError:
    return ProviderError(provider, f"malformed answer: {what}", retryable=False)


MODEL_CYCLE_HOURS = 6


def model_cycle(moment: datetime) -> datetime:
    """The model run an hourly forecast fetched at `moment` is taken to come from, for its lead time.

    The point-forecast APIs do not say which run they serve; global models run every 6 hours (00, 06, 12,
    18Z), so the latest cycle start is a fair issue time, and it stays the same from one fetch to the next
    within a cycle, as a second run with the same data must judge alike."""
    moment = moment.astimezone(UTC)
    return moment.replace(hour=moment.hour - moment.hour % MODEL_CYCLE_HOURS, minute=0, second=0, microsecond=0)
