"""A TAF read once per clock hour: every sweep in that hour gets the same samples without parsing it again."""

from datetime import timedelta

import avwx

from weather.providers import aviationweather
from weather.tests.payloads import utc

RAW = "TAF KDEN 011730Z 0118/0224 18008KT P6SM SCT050 FM020200 27015G25KT P6SM BKN080"
ISSUED = utc(2026, 6, 1, 17, 30)


def test_the_same_taf_in_the_same_hour_is_parsed_once_and_reads_as_before(monkeypatch):
    aviationweather.taf_samples_of_hour.cache_clear()
    parsed = []
    real = avwx.Taf.from_report

    def counting(raw, **kwargs):
        parsed.append(raw)
        return real(raw, **kwargs)

    monkeypatch.setattr(avwx.Taf, "from_report", counting)
    hour = utc(2026, 6, 1, 19)
    first, again = (aviationweather.taf_samples_of_hour(RAW, issued=ISSUED, provider="aviationweather", hour=hour,
                                                         valid_from=None, valid_to=None) for _ in range(2))
    assert first == again and len(parsed) == 1
    assert first == tuple(aviationweather.taf_samples(RAW, issued=ISSUED, now=hour + timedelta(minutes=40)))
    assert first[0][0] == hour and first[-1][0] == utc(2026, 6, 2, 23)
    later = aviationweather.taf_samples_of_hour(RAW, issued=ISSUED, provider="aviationweather",
                                                hour=hour + timedelta(hours=1), valid_from=None, valid_to=None)
    assert len(parsed) == 3 and later == first[1:]  # a new hour reads again, one hour fewer
