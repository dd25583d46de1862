"""Weather providers, one module each, behind one interface; the registry is built from settings.WEATHER_PROVIDERS."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from weather.providers.aviationweather import AviationWeatherProvider
from weather.providers.base import (
    BatchResult,
    CloudLayer,
    HourlyWeather,
    Location,
    ProviderError,
    WeatherProvider,
)
from weather.providers.demo import DemoProvider
from weather.providers.openweathermap import OpenWeatherMapProvider
from weather.providers.weatherapi import WeatherApiProvider

REGISTRY: dict[str, type[WeatherProvider]] = {
    cls.name: cls for cls in (AviationWeatherProvider, OpenWeatherMapProvider, WeatherApiProvider, DemoProvider)
}


def configured_providers() -> list[WeatherProvider]:
    """The providers named in settings.WEATHER_PROVIDERS, in that order."""
    providers = []
    for name in settings.WEATHER_PROVIDERS:
        name = name.strip().lower()
        if not name:
            continue
        if name not in REGISTRY:
            raise ImproperlyConfigured(
                f"WEATHER_PROVIDERS names {name!r}; known providers: {', '.join(sorted(REGISTRY))}."
            )
        providers.append(REGISTRY[name]())
    return providers


__all__ = [
    "REGISTRY", "BatchResult", "CloudLayer", "HourlyWeather", "Location", "ProviderError", "WeatherProvider",
    "configured_providers",
]
