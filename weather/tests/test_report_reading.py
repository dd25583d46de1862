"""Reports of every awkward kind real stations send, through the AWC provider's HTTP boundary and the judge.

Each report here is written for the test (day 01 of the fixed clock), one per class of trouble: visibility
forms, missing groups, NIL/CNL/all-missing reports, BECMG and TEMPO semantics, a report that cannot be read
among good ones, and the remarks' tenths temperature at freezing.
"""

import logging
from datetime import timedelta

import pytest

from weather.judging import CONFLICT, MARGINAL, OK, UNKNOWN, Minimums, RoutePoint, judge_point
from weather.providers.aviationweather import AviationWeatherProvider
from weather.providers.base import Location
from weather.tests.payloads import awc_metar, awc_taf, utc
from weather.tests.samples import sample

LEVELS = {level: Minimums.default(level) for level in ("student_pilot", "private_pilot", "instrument_rated")}


def station(icao):
    return Location(icao, 40.0, -100.0, icao)


def metar_hour(weather, now, raw):
    icao = raw.split()[0]
    weather.metars = [awc_metar(icao, raw, now - timedelta(minutes=10))]
    hours = AviationWeatherProvider().fetch_batch([station(icao)], now=now).hours.get(icao, [])
    return hours[0] if hours else None


def taf_hours(weather, now, raw, *, valid_from, valid_to, issued=None):
    icao = raw.split()[1] if raw.split()[1] not in ("AMD", "COR") else raw.split()[2]
    weather.tafs = [awc_taf(icao, raw, issued=issued or valid_from - timedelta(minutes=30), valid_from=valid_from,
                            valid_to=valid_to)]
    hours = AviationWeatherProvider().fetch_batch([station(icao)], now=now).hours.get(icao, [])
    return {h.valid_at: h for h in hours}


def verdicts(sample_, icao="KAAA"):
    point = RoutePoint(station(icao), "departure", icao, (), "UTC")
    return {level: judge_point(point, sample_.valid_at, [sample_], m) for level, m in LEVELS.items()}


def statuses(sample_):
    return {level: verdict.status for level, verdict in verdicts(sample_).items()}


# ------------------------------------------------------------------ visibility in every form
@pytest.mark.parametrize("raw", [
    "KSEA 011447Z 00000KT 1/4 SM FG OVC002 09/09 A3019",
    "KMDA 011455Z AUTO 02018KT M1/4SM FZFG OVC003 M01/M01 A3002 RMK AO2",
    "KRIA 011456Z 04004KT 3/16SM FG VV001 08/08 A3019 RMK AO2",
])
def test_quarter_mile_fog_grounds_even_an_instrument_rated_pilot(weather, now, raw):
    hour = metar_hour(weather, now, raw)
    assert hour.visibility_sm <= 0.25
    judged = verdicts(hour)
    assert {v.status for v in judged.values()} == {CONFLICT}
    assert any(r.startswith("visibility 0.") and "below 0.5 sm (instrument_rated)" in r
               for r in judged["instrument_rated"].reasons)


@pytest.mark.parametrize("raw, expected", [
    ("KSKA 011441Z 07004KT 1 3/8SM -SN BR OVC015 00/M01 A2996", 1.375),
    ("KSKA 011441Z 07004KT 2 3/4SM BR OVC015 05/04 A2996", 2.75),
    ("KSKA 011441Z 07004KT 1 5/8SM BR OVC015 05/04 A2996", 1.625),
    ("KSKA 011441Z 07004KT 1 7/8SM BR OVC015 05/04 A2996", 1.875),
    ("KSKA 011441Z 07004KT P6SM FEW050 15/04 A2996", 6.0),
    ("EDDF 011450Z 24008KT 0800 FG VV002 05/05 Q1016", 0.5),
    ("EDDF 011450Z 24008KT 9999 FEW040 15/05 Q1016", 6.21),
    ("EDDF 011450Z 24008KT CAVOK 15/05 Q1016", 6.21),
])
def test_visibility_as_a_pilot_reads_it(weather, now, raw, expected):
    assert metar_hour(weather, now, raw).visibility_sm == pytest.approx(expected, abs=0.005)


def test_cavok_is_a_clear_sky_and_ten_kilometres(weather, now):
    hour = metar_hour(weather, now, "EDDF 011450Z 24008KT CAVOK 15/05 Q1016")
    assert hour.clouds == () and hour.visibility_sm == 6.21
    assert statuses(hour) == {"student_pilot": OK, "private_pilot": OK, "instrument_rated": OK}


# ------------------------------------------------------------------ missing is unknown, never unlimited
def test_a_report_without_visibility_and_sky_is_unknown_at_every_level(weather, now):
    hour = metar_hour(weather, now, "KNXA 011456Z AUTO 27005KT A3030 RMK AO2 SLPNO PWINO TSNO $")
    assert hour.visibility_sm is None and hour.clouds is None
    judged = verdicts(hour, "KNXA")
    assert {v.status for v in judged.values()} == {UNKNOWN}
    assert "visibility unknown: not reported or unreadable at KNXA 15:00Z" in judged["student_pilot"].reasons
    assert "ceiling unknown: not reported or unreadable at KNXA 15:00Z" in judged["student_pilot"].reasons
    assert judged["student_pilot"].values["category"] is None


def test_a_report_without_a_sky_group_is_not_a_clear_sky(weather, now):
    hour = metar_hour(weather, now, "KFCA 011455Z AUTO 00000KT 7SM 08/08 A3031 RMK AO1")
    assert hour.clouds is None and hour.visibility_sm == 7.0
    assert statuses(hour) == {"student_pilot": UNKNOWN, "private_pilot": UNKNOWN, "instrument_rated": UNKNOWN}
    clear = metar_hour(weather, now, "KFCA 011455Z AUTO 00000KT 7SM CLR 08/08 A3031 RMK AO1")
    assert clear.clouds == ()
    assert statuses(clear) == {"student_pilot": OK, "private_pilot": OK, "instrument_rated": OK}


def test_a_known_conflict_still_grounds_when_another_element_is_missing(weather, now):
    hour = metar_hour(weather, now, "KUTA 011455Z AUTO 00000KT 1/2SM FG A3013 RMK AO2")
    judged = verdicts(hour, "KUTA")
    assert judged["student_pilot"].status == CONFLICT
    assert judged["instrument_rated"].status == UNKNOWN  # 1/2 sm passes; the sky nobody reported decides
    assert judged["instrument_rated"].values["category"] == "LIFR"  # under a mile is LIFR whatever the sky


def test_missing_wind_is_unknown(weather, now):
    hour = metar_hour(weather, now, "KAJA 011456Z AUTO 10SM CLR 07/01 A3022 RMK AO2")
    assert hour.wind_kt is None
    assert statuses(hour)["private_pilot"] == UNKNOWN


def test_another_provider_still_counts_where_the_metar_is_silent(weather, now):
    silent = metar_hour(weather, now, "KFCA 011455Z AUTO 00000KT 7SM 08/08 A3031 RMK AO1")
    point = RoutePoint(station("KFCA"), "departure", "KFCA", (), "UTC")
    cloudy = sample("openweathermap", valid_at=silent.valid_at, clouds=None, cloud_pct=20.0, visibility_sm=6.21)
    assert judge_point(point, silent.valid_at, [silent, cloudy], LEVELS["private_pilot"]).status == OK
    low = sample("openweathermap", valid_at=silent.valid_at, clouds=None, cloud_pct=90.0, temperature_c=8.0,
                 dewpoint_c=7.0, visibility_sm=6.21)
    verdict = judge_point(point, silent.valid_at, [silent, low], LEVELS["private_pilot"])
    assert verdict.status == CONFLICT and verdict.values["ceiling_estimated"] is True


@pytest.mark.parametrize("raw", [
    "SVMA 011453Z AUTO NIL",
    "KAAA 011453Z NIL=",
])
def test_a_nil_metar_gives_no_hour_so_the_other_providers_decide(weather, now, raw):
    assert metar_hour(weather, now, raw) is None


def test_an_all_missing_metar_is_unknown_not_clear(weather, now):
    hour = metar_hour(weather, now, "EGLA 011453Z ///////// ////// ///// Q////")
    assert (hour.wind_kt, hour.visibility_sm, hour.clouds) == (None, None, None)
    assert set(statuses(hour).values()) == {UNKNOWN}


# ------------------------------------------------------------------ TAF semantics
VALID_FROM, VALID_TO = utc(2026, 6, 1, 18), utc(2026, 6, 3, 0)


def test_becmg_hours_have_a_forecast_with_the_worse_of_old_and_new(weather, now):
    hours = taf_hours(weather, now, "TAF KDEN 011730Z 0118/0224 18008KT P6SM SCT050 "
                                    "BECMG 0121/0123 3SM BR BKN012", valid_from=VALID_FROM, valid_to=VALID_TO)
    assert sorted(hours)[0] == VALID_FROM and len(hours) == 30  # every hour of the validity
    before, during, after = hours[utc(2026, 6, 1, 20)], hours[utc(2026, 6, 1, 22)], hours[utc(2026, 6, 2, 2)]
    assert before.visibility_sm == 6.0 and statuses(before)["student_pilot"] == OK
    assert during.visibility_sm == 3.0 and ("BKN", 1200) in [(c.cover, c.base_ft) for c in during.clouds]
    assert during.wind_kt == 8.0
    assert after.visibility_sm == 3.0 and statuses(after)["private_pilot"] == MARGINAL


def test_a_becmg_that_restates_only_the_wind_keeps_the_ceiling(weather, now):
    hours = taf_hours(weather, now, "TAF FMMA 011730Z 0118/0224 16006KT 9999 FEW017 BKN020 "
                                    "BECMG 0209/0211 10010KT", valid_from=VALID_FROM, valid_to=VALID_TO)
    later = hours[utc(2026, 6, 2, 16)]
    assert later.wind_kt == 10.0 and later.visibility_sm == 6.21
    assert ("BKN", 2000) in [(c.cover, c.base_ft) for c in later.clouds]
    judged = verdicts(later, "FMMA")
    assert judged["student_pilot"].status == CONFLICT
    assert "ceiling 2000 ft below 3000 ft (student_pilot) at FMMA 16:00Z" in judged["student_pilot"].reasons


def test_tempo_and_prob_are_worst_case_inside_their_own_period_only(weather, now):
    hours = taf_hours(weather, now, "TAF LSZA 011730Z 0118/0224 VRB03KT 9999 FEW020 BKN080 "
                                    "TEMPO 0120/0122 4000 SHRA PROB30 0203/0206 0400 FG VV001",
                      valid_from=VALID_FROM, valid_to=VALID_TO)
    tempo = hours[utc(2026, 6, 1, 21)]
    assert tempo.visibility_sm == 2.49 and "SHRA" in tempo.phenomena
    assert ("BKN", 8000) in [(c.cover, c.base_ft) for c in tempo.clouds]  # not restated: carried over
    assert tempo.wind_kt == 3.0  # the TEMPO states no wind: the prevailing wind stands
    assert hours[utc(2026, 6, 1, 22)].visibility_sm == 6.21  # the TEMPO ended at 22Z
    fog = hours[utc(2026, 6, 2, 5)]
    assert fog.visibility_sm == 0.25 and statuses(fog)["instrument_rated"] == CONFLICT
    assert hours[utc(2026, 6, 2, 6)].visibility_sm == 6.21  # PROB30 0203/0206 is over at 06Z


def test_fm_groups_replace_the_weather_and_canadian_mixed_numbers_read_right(weather, now):
    hours = taf_hours(weather, now, "TAF CZBA 011730Z 0118/0224 VRB03KT 6SM -SN OVC015 TEMPO 0118/0120 "
                                    "11/2SM -SN OVC009 FM012000 10008KT P6SM SCT030",
                      valid_from=VALID_FROM, valid_to=VALID_TO)
    assert hours[utc(2026, 6, 1, 19)].visibility_sm == 1.5
    assert hours[utc(2026, 6, 1, 21)].phenomena == ()


def test_a_taf_without_base_conditions_is_unknown_outside_its_groups(weather, now):
    hours = taf_hours(weather, now, "TAF CYTA 011730Z 0118/0224 TEMPO 0203/0208 2SM -SN",
                      valid_from=VALID_FROM, valid_to=VALID_TO)
    assert set(statuses(hours[utc(2026, 6, 1, 20)]).values()) == {UNKNOWN}


def test_a_cancelled_or_nil_taf_gives_no_hours(weather, now):
    assert taf_hours(weather, now, "TAF VTBA 011730Z 0118/0224 CNL=", valid_from=VALID_FROM,
                     valid_to=VALID_TO) == {}
    assert taf_hours(weather, now, "TAF VTBA 011730Z NIL=", valid_from=VALID_FROM, valid_to=VALID_TO) == {}


# ------------------------------------------------------------------ one bad report does not sink the batch
def test_an_unreadable_report_is_logged_and_skipped_and_the_batch_goes_on(weather, now, caplog):
    good = Location("KPAO", 37.46, -122.12, "KPAO")
    bad = Location("KBAD", 40.0, -100.0, "KBAD")
    weather.metars = [awc_metar("KPAO", "KPAO 011453Z 31008KT 10SM FEW040 18/08 A3001", now - timedelta(minutes=7)),
                      {"icaoId": "KXXX", "obsTime": "not a time", "rawOb": "KXXX 011453Z 00000KT 10SM CLR"},
                      {"icaoId": "KYYY"}]
    weather.tafs = [
        awc_taf("KBAD", "TAF KBAD 011130Z", issued=utc(2026, 6, 1, 11, 30), valid_from=utc(2026, 6, 1, 12),
                valid_to=utc(2026, 6, 2, 12)),
        awc_taf("KPAO", "TAF KPAO 011130Z 0112/0212 30010KT P6SM SCT040", issued=utc(2026, 6, 1, 11, 30),
                valid_from=utc(2026, 6, 1, 12), valid_to=utc(2026, 6, 2, 12)),
        {"icaoId": "KMKA", "issueTime": "2026-06-01 15:30:00", "rawTAF": "TAF KMKA 011530 0116/0218 "
         "WS020/24045KT FM011900 17005KT P6SM SKC"},  # no Z on the issue time, no validity in the item
    ]
    mka = Location("KMKA", 43.0, -88.0, "KMKA")
    with caplog.at_level(logging.WARNING, logger="weather.providers.aviationweather"):
        result = AviationWeatherProvider().fetch_batch([good, bad, mka], now=now)
    assert "KBAD" not in result.hours  # left to the other providers
    assert len(result.hours["KPAO"]) == 21  # the METAR hour and the TAF to 12Z tomorrow
    assert "unreadable TAF for KBAD skipped" in caplog.text
    assert "item without icaoId or rawOb skipped" in caplog.text
    mka_hours = {h.valid_at: h for h in result.hours["KMKA"]}
    assert mka_hours[utc(2026, 6, 1, 16)].visibility_sm is None  # the base group states nothing
    assert mka_hours[utc(2026, 6, 1, 20)].visibility_sm == 6.0


# ------------------------------------------------------------------ icing at freezing
def test_icing_uses_the_remarks_tenths_temperature(weather, now):
    above = metar_hour(weather, now, "K1YA 011456Z AUTO 00000KT 10SM -RA OVC040 00/M01 A2992 RMK AO2 T00041006")
    assert above.temperature_c == 0.4 and above.dewpoint_c == -0.6
    assert statuses(above)["instrument_rated"] == OK
    below = metar_hour(weather, now, "K1YA 011456Z AUTO 00000KT 10SM -RA OVC040 00/M01 A2992 RMK AO2 T10021006")
    assert below.temperature_c == -0.2
    judged = verdicts(below, "K1YA")["instrument_rated"]
    assert judged.status == CONFLICT and judged.reasons == ["icing (RA at -0.2 °C) at K1YA 15:00Z"]
    body_only = metar_hour(weather, now, "K1YA 011456Z AUTO 00000KT 10SM -RA OVC040 00/M01 A2992 RMK AO2")
    assert statuses(body_only)["instrument_rated"] == CONFLICT  # 00 °C with rain, nothing more precise
