"""avwx's station table is read once per process, however many fetch threads parse their first reports at once."""

import threading
from datetime import UTC, datetime

import pytest
from avwx.load_utils import LazyLoad
from avwx.station import meta, station

from weather.providers import aviationweather

OBSERVED = datetime(2026, 3, 1, 11, 56, tzinfo=UTC)
RAW = "KPAO 011156Z 31008KT 10SM FEW040 18/08 A3001"


@pytest.fixture
def unread_station_table(monkeypatch):
    """The process as it starts: avwx has not read its table and no report has been parsed. The table already
    read (by earlier tests) is handed back by the counted read instead of parsing 67 MB again."""
    meta.STATIONS._check()
    table = meta.STATIONS._data
    reads = []

    def counted_read(self):
        reads.append(threading.current_thread().name)
        threading.Event().wait(0.2)  # the real read takes about a second: long enough for the others to arrive
        self._data = table

    monkeypatch.setattr(meta.STATIONS, "_data", None)
    monkeypatch.setattr(station._ICAO, "_value", None)
    monkeypatch.setattr(LazyLoad, "_load", counted_read)
    monkeypatch.setattr(aviationweather, "_stations_read", threading.Event())
    return reads


def test_threads_parsing_their_first_reports_at_once_read_the_table_once(unread_station_table):
    start = threading.Barrier(4)
    samples, errors = [], []

    def parse():
        start.wait()
        try:
            samples.append(aviationweather.metar_sample(RAW, observed=OBSERVED))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=parse, name=f"fetch-{i}") for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert len(unread_station_table) == 1
    assert len(samples) == 4 and len(set(samples)) == 1
    assert samples[0].wind_kt == 8 and samples[0].visibility_sm == 10


def test_a_first_report_that_fails_still_lets_the_others_through(unread_station_table):
    with pytest.raises(ValueError, match="avwx read nothing"):
        aviationweather.metar_sample("ZZZZ 011156Z 31008KT 10SM FEW040 18/08 A3001", observed=OBSERVED)
    assert aviationweather._stations_read.is_set()
    assert aviationweather.metar_sample(RAW, observed=OBSERVED).wind_kt == 8
    assert len(unread_station_table) == 1
