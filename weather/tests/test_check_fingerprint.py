"""A check's fingerprint decides whether a run adds a row: the shortcut for parts many checks share must give
the digest that encoding the whole check gives, or every booking would get a new check once."""

from datetime import timedelta

from weather.judging import judge_window
from weather.services import check_fingerprint
from weather.tests.samples import HOUR_14Z, KPAO, PRIVATE, STUDENT, sample


def test_shared_parts_encoded_once_give_the_same_digest():
    memo: dict = {}
    hours = [HOUR_14Z, HOUR_14Z + timedelta(hours=1)]
    samples = {hours[0]: [sample(), sample("other", wind_kt=9.0, gust_kt=16.0)], hours[1]: [sample(wind_kt=13.0)]}
    providers = [{"name": "demo", "answered": True, "locations_answered": 1, "locations_failed": 0}]
    encoded: dict = {}
    for minimums in (STUDENT.for_flight(solo=True), PRIVATE.for_flight(), STUDENT.for_flight(solo=True)):
        applied = minimums.as_dict()
        for window in (hours, hours[:1], hours[1:]):
            judgement = judge_window(points=[KPAO], hours=window, samples_for=lambda key, hour: samples.get(hour, ()),
                                     minimums=minimums, memo=memo)
            whole = check_fingerprint(judgement=judgement, minimums=applied, providers=providers)
            assert check_fingerprint(judgement=judgement, minimums=applied, providers=providers,
                                     encoded=encoded) == whole
