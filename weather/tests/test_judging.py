from types import SimpleNamespace

import pytest

from weather.judging import (
    CONFLICT,
    MARGINAL,
    OK,
    UNKNOWN,
    Minimums,
    RoutePoint,
    ceiling_of,
    crosswind,
    flight_category,
    judge_point,
    judge_window,
    route_points,
    window_hours,
)
from weather.providers.base import Location
from weather.tests.samples import HOUR_14Z, INSTRUMENT, KPAO, PRIVATE, STUDENT, sample

NO_RUNWAYS = RoutePoint(Location("KXYZ", 37.0, -122.0, "KXYZ"), "destination", "KXYZ", (), "UTC")


def judge(*samples, minimums=PRIVATE, point=KPAO):
    return judge_point(point, HOUR_14Z, list(samples), minimums)


def test_private_pilot_at_exactly_3_sm_passes_and_at_2_9_sm_fails():
    at_limit = judge(sample(visibility_sm=3.0))
    assert at_limit.status == MARGINAL  # passes, but within 10 % of the limit
    below = judge(sample(visibility_sm=2.9))
    assert below.status == CONFLICT
    assert "visibility 2.9 sm below 3 sm (private_pilot) at KPAO 14:00Z" in below.reasons


def test_reason_reads_the_way_the_contract_writes_it():
    verdict = judge(sample(visibility_sm=2.0), minimums=STUDENT)
    assert verdict.reasons[0] == "visibility 2.0 sm below 5 sm (student_pilot) at KPAO 14:00Z"


def test_ceiling_of_exactly_1000_ft_passes_a_private_pilot():
    verdict = judge(sample(clouds=(("BKN", 1000),)))
    assert verdict.status == MARGINAL
    assert verdict.values["ceiling_ft"] == 1000
    assert judge(sample(clouds=(("OVC", 900),))).status == CONFLICT


def test_few_and_sct_layers_are_never_a_ceiling():
    verdict = judge(sample(clouds=(("FEW", 400), ("SCT", 600))), minimums=STUDENT)
    assert verdict.values["ceiling_ft"] is None
    assert verdict.status == OK


def test_lowest_of_bkn_ovc_vv_is_the_ceiling():
    assert ceiling_of(sample(clouds=(("SCT", 500), ("OVC", 2500), ("BKN", 1800)))) == (1800, False)
    assert ceiling_of(sample(clouds=(("VV", 200),))) == (200, False)


def test_ceiling_estimated_from_cloud_cover_only_at_50_percent_or_more():
    broken = sample(clouds=(), cloud_pct=75, temperature_c=10.0, dewpoint_c=8.0)
    assert ceiling_of(broken) == (800, True)
    verdict = judge(broken, minimums=STUDENT)
    assert verdict.values["ceiling_estimated"] is True
    assert "ceiling (estimated) 800 ft below 3000 ft (student_pilot) at KPAO 14:00Z" in verdict.reasons
    assert ceiling_of(sample(clouds=(), cloud_pct=40, temperature_c=10.0, dewpoint_c=9.0)) == (None, False)


def test_thunderstorm_and_icing_are_conflicts_even_for_an_instrument_rated_pilot():
    assert judge(sample(phenomena=("TSRA",)), minimums=INSTRUMENT).reasons == [
        "thunderstorm (TSRA) at KPAO 14:00Z"]
    assert judge(sample(phenomena=("FZRA",)), minimums=INSTRUMENT).status == CONFLICT
    assert judge(sample(phenomena=("PL",)), minimums=INSTRUMENT).status == CONFLICT
    cold_snow = judge(sample(phenomena=("SN",), temperature_c=-2.0, dewpoint_c=-3.0), minimums=INSTRUMENT)
    assert cold_snow.reasons == ["icing (SN at -2 °C) at KPAO 14:00Z"]
    assert judge(sample(phenomena=("RA",), temperature_c=4.0), minimums=INSTRUMENT).status == OK


def test_imc_is_not_allowed_below_instrument_rating():
    low = sample(visibility_sm=2.0, clouds=(("OVC", 600),))
    assert judge(low, minimums=INSTRUMENT).status == OK
    lowered = Minimums(**{**PRIVATE.as_dict(), "ceiling_ft": 500, "visibility_sm": 1.0})
    verdict = judge(low, minimums=lowered)
    assert verdict.status == CONFLICT
    assert verdict.reasons == ["IMC (IFR) not allowed (private_pilot) at KPAO 14:00Z"]


def test_wind_and_gust_limits_with_exact_limit_passing():
    assert judge(sample(wind_kt=20.0, wind_dir_deg=310)).status == MARGINAL
    assert "wind 21 kt above 20 kt (private_pilot) at KPAO 14:00Z" in judge(sample(wind_kt=21.0)).reasons
    assert "gust 26 kt above 25 kt (private_pilot) at KPAO 14:00Z" in judge(sample(gust_kt=26.0)).reasons


def test_crosswind_is_judged_on_the_best_runway_and_counts_gusts():
    assert crosswind(270, 20.0, (130, 310)) == (12.9, "31")
    assert crosswind(None, 5.0, (130, 310)) == (5.0, "variable")
    verdict = judge(sample(wind_dir_deg=220, wind_kt=6.0, gust_kt=12.0), minimums=STUDENT)
    # 90 degrees off both runway ends: the whole gust is crosswind.
    assert "crosswind 12 kt on runway 13 above 8 kt (student_pilot) at KPAO 14:00Z" in verdict.reasons
    # Along the runway the same gust is no crosswind at all.
    assert judge(sample(wind_dir_deg=310, wind_kt=6.0, gust_kt=12.0), minimums=STUDENT).values["crosswind_kt"] == 0


def test_crosswind_is_not_judged_where_runways_are_unknown_and_the_check_says_so():
    verdict = judge(sample(wind_dir_deg=220, wind_kt=9.5), minimums=STUDENT, point=NO_RUNWAYS)
    assert verdict.values["crosswind_kt"] is None
    assert verdict.values["note"] == "runway headings unknown: crosswind not judged"
    assert verdict.status == MARGINAL  # the 9 kt wind is within 10 % of 10 kt


def test_flight_categories():
    assert flight_category(None, 10) == "VFR"
    assert flight_category(3000, 10) == "MVFR"
    assert flight_category(900, 10) == "IFR"
    assert flight_category(None, 0.5) == "LIFR"


def test_providers_disagreeing_take_the_worse_value_and_record_the_spread():
    good = sample("openweathermap", visibility_sm=10.0, wind_kt=5.0)
    bad = sample("weatherapi", visibility_sm=2.5, wind_kt=12.0)
    judgement = judge_window(points=[KPAO], hours=[HOUR_14Z], samples_for=lambda k, h: [good, bad],
                             minimums=PRIVATE)
    assert judgement.status == CONFLICT
    point = judgement.points[0]
    assert point["visibility_sm"] == 2.5 and point["wind_kt"] == 12.0
    assert point["providers"] == ["openweathermap", "weatherapi"]
    assert judgement.agreement["max_visibility_spread_sm"] == 7.5
    assert judgement.agreement["same_category_share"] == 0.0


def airport(icao, lat, lon, runways=()):
    return SimpleNamespace(icao=icao, latitude=lat, longitude=lon, runway_headings=list(runways),
                           time_zone="America/Los_Angeles")


def test_a_corridor_point_deteriorating_while_both_ends_are_fine_is_a_conflict():
    points = route_points(airport("KPAO", 37.4611, -122.115, (130, 310)), airport("KSBA", 34.4262, -119.8404))
    assert [p.role for p in points][0] == "departure" and points[-1].role == "destination"
    corridor = [p for p in points if p.role == "corridor"]
    assert len(corridor) >= 6
    bad_key = corridor[len(corridor) // 2].location.key

    def samples_for(key, hour):
        return [sample(valid_at=hour, visibility_sm=1.5 if key == bad_key else 10.0)]

    judgement = judge_window(points=points, hours=[HOUR_14Z], samples_for=samples_for, minimums=PRIVATE)
    assert judgement.status == CONFLICT
    assert len(judgement.reasons) == 1
    assert judgement.reasons[0].startswith("visibility 1.5 sm below 3 sm (private_pilot) at ")
    assert "nm from KPAO" in judgement.reasons[0]


def test_a_missing_hour_makes_the_window_unknown_but_a_conflict_still_wins():
    hours = window_hours(HOUR_14Z.replace(minute=30), HOUR_14Z.replace(hour=16))
    assert [h.hour for h in hours] == [14, 15]  # 30 minutes before a 14:30 start is 14:00
    only_first = judge_window(points=[KPAO], hours=hours, minimums=PRIVATE,
                              samples_for=lambda k, h: [sample(valid_at=h)] if h == hours[0] else [])
    assert only_first.status == UNKNOWN
    assert only_first.reasons == ["no forecast from any provider at KPAO 15:00Z"]
    storm_then_gap = judge_window(points=[KPAO], hours=hours, minimums=PRIVATE,
                                  samples_for=lambda k, h: [sample(valid_at=h, phenomena=("TS",))]
                                  if h == hours[0] else [])
    assert storm_then_gap.status == CONFLICT


@pytest.mark.parametrize("start_minute, expected_first_hour", [(0, 13), (29, 13), (30, 14), (45, 14)])
def test_window_starts_thirty_minutes_before_departure(start_minute, expected_first_hour):
    start = HOUR_14Z.replace(minute=start_minute)
    assert window_hours(start, start.replace(hour=16))[0].hour == expected_first_hour


def test_an_unknown_element_makes_the_verdict_unknown_with_the_reason_and_never_ok():
    no_visibility = judge(sample(visibility_sm=None), minimums=STUDENT)
    assert no_visibility.status == UNKNOWN
    assert no_visibility.reasons == ["visibility unknown: not reported or unreadable at KPAO 14:00Z"]
    no_sky = judge(sample(clouds=None), minimums=INSTRUMENT)
    assert no_sky.status == UNKNOWN and no_sky.values["unknown"] == ["ceiling"]
    assert no_sky.values["category"] is None
    # A conflict that is known stands, and leads the reasons.
    windy = judge(sample(clouds=None, wind_kt=25.0))
    assert windy.status == CONFLICT
    assert windy.reasons[0] == "wind 25 kt above 20 kt (private_pilot) at KPAO 14:00Z"


def test_broken_cover_without_a_spread_to_estimate_from_is_an_unknown_ceiling():
    verdict = judge(sample(clouds=None, cloud_pct=80, temperature_c=None, dewpoint_c=None))
    assert verdict.status == UNKNOWN and verdict.values["unknown"] == ["ceiling"]
    assert judge(sample(clouds=None, cloud_pct=20, temperature_c=None, dewpoint_c=None)).status == OK


def test_a_window_with_an_unknown_element_is_unknown_and_a_conflict_elsewhere_still_wins():
    hours = [HOUR_14Z, HOUR_14Z.replace(hour=15)]
    gap = judge_window(points=[KPAO], hours=hours, minimums=PRIVATE,
                       samples_for=lambda k, h: [sample(valid_at=h, visibility_sm=None if h == hours[1] else 10.0)])
    assert gap.status == UNKNOWN
    assert gap.reasons == ["visibility unknown: not reported or unreadable at KPAO 15:00Z"]
    storm = judge_window(points=[KPAO], hours=hours, minimums=PRIVATE,
                         samples_for=lambda k, h: [sample(valid_at=h, visibility_sm=None if h == hours[1] else 10.0,
                                                          phenomena=("TS",) if h == hours[1] else ())])
    assert storm.status == CONFLICT
    assert storm.reasons[0] == "thunderstorm (TS) at KPAO 15:00Z"


def test_quarter_mile_reasons_keep_their_fraction():
    assert judge(sample(visibility_sm=0.25), minimums=INSTRUMENT).reasons[0] == (
        "visibility 0.25 sm below 0.5 sm (instrument_rated) at KPAO 14:00Z")
