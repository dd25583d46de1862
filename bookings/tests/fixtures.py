"""The summer clock and home airport that bookings' and weather's tests share (imported by their conftests)."""

from datetime import UTC, datetime

import pytest
import time_machine

from bookings.tests.factories import AirportFactory

# A Monday in summer: Palo Alto is on PDT (UTC-7).
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def kpao(db):
    return AirportFactory()
