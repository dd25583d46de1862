"""What every weather provider returns, and the one error type they raise.

Values are in the units a pilot judges by: knots, statute miles, feet above ground, degrees Celsius.
Each provider module converts its own units (metres, m/s, km/h, Kelvin) before anything leaves it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

METAR = "metar"
TAF = "taf"
HOURLY = "hourly"

# Cover codes that make a ceiling; FEW and SCT never do.
CEILING_COVERS = ("BKN", "OVC", "VV")

KT_PER_MS = 1.943844
KT_PER_KPH = 0.539957
METRES_PER_SM = 1609.344
KM_PER_SM = 1.609344


@dataclass(frozen=True)
class Location:
    """A place to ask about: an airport (icao set) or a corridor point along a route."""

    key: str
    latitude: float
    longitude: float
    icao: str = ""

    @property
    def is_airport(self) -> bool:
        return bool(self.icao)


@dataclass(frozen=True)
class CloudLayer:
    cover: str  # FEW, SCT, BKN, OVC or VV
    base_ft: int  # above ground level


@dataclass(frozen=True)
class HourlyWeather:
    """The weather one provider expects at one location for the hour starting at `valid_at` (UTC).

    None is unknown: a visibility, wind or sky the provider did not give, or gave unreadably. It is never
    unlimited. A clear sky is `clouds=()`; `clouds=None` with no `cloud_pct` is a sky nobody reported.
    """

    provider: str
    source: str  # metar, taf or hourly
    valid_at: datetime
    wind_dir_deg: int | None = None  # None with a speed means variable
    wind_kt: float | None = None
    gust_kt: float | None = None
    visibility_sm: float | None = None
    clouds: tuple[CloudLayer, ...] | None = None
    cloud_pct: float | None = None  # set by providers that give only a cloud cover percentage
    temperature_c: float | None = None
    dewpoint_c: float | None = None
    phenomena: tuple[str, ...] = ()  # METAR-style codes: TS, FZRA, PL, SN, RA, BR, ...
    issued_at: datetime | None = None  # when the report or model run was issued (lead time = valid_at - issued_at)
    probability: int | None = None  # a TAF PROB30/PROB40 group covering the hour: its chance, in per cent


@dataclass
class ProviderError(Exception):
    """A provider could not answer. `retryable` says whether asking again can help."""

    provider: str
    message: str
    retryable: bool
    status_code: int | None = None

    def __str__(self) -> str:
        kind = "transient" if self.retryable else "permanent"
        return f"{self.provider}: {self.message} ({kind})"


@dataclass
class BatchResult:
    """What one call to a provider returned, per location key (locations it knows nothing about are absent)."""

    hours: dict[str, list[HourlyWeather]] = field(default_factory=dict)
    requests: int = 0


class WeatherProvider(ABC):
    """One source of forecasts. Subclasses set `name` and implement `fetch_batch`."""

    name: str = ""
    # Locations asked in one call; aviationweather takes many station ids per request.
    batch_size: int = 1
    # False for a provider that only knows airports (no point forecasts for corridor points).
    serves_points: bool = True

    def serves(self, location: Location) -> bool:
        return location.is_airport or self.serves_points

    @abstractmethod
    def fetch_batch(self, locations: Sequence[Location], *, now: datetime) -> BatchResult:
        """Hourly forecasts for these locations; raises ProviderError when the call itself fails."""
