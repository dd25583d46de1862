"""`manage.py decode_weather`: what a dispatcher sees for a report, judged as the monitor judges it."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from weather.models import WeatherMinimums

METAR = "KSEA 011447Z 00000KT 1/4 SM FG OVC002 09/09 A3019"
TAF_LINES = ("TAF FMMI 011130Z 0112/0212 16006KT 9999 FEW017 BKN020\n"
             "      PROB30 TEMPO 0114/0116 4500 RADZ\n"
             "      BECMG 0203/0205 10010KT\n")


def run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    call_command("decode_weather", *args, **kwargs)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_a_metar_argument_prints_values_category_and_every_level(now):
    out, _ = run(METAR)
    lines = out.splitlines()
    assert lines[0] == f"KSEA METAR: {METAR}"
    assert lines[1].startswith("  2026-06-01 14:00Z  wind calm, visibility 0.25 sm, ceiling 200 ft, (OVC002)")
    assert "category LIFR" in lines[1]
    assert lines[2].startswith("    student_pilot     conflict  visibility 0.25 sm below 5 sm (student_pilot)")
    assert lines[4].startswith("    instrument_rated  conflict  visibility 0.25 sm below 0.5 sm (instrument_rated)")
    assert lines[-1] == "1 reports decoded, 1 hours."


@pytest.mark.django_db
def test_a_taf_on_standard_input_over_several_lines_gives_every_hour(now):
    out, _ = run("--level", "student_pilot", stdin=TAF_LINES)
    assert out.count("FMMI TAF: TAF FMMI 011130Z 0112/0212") == 1  # one report, its groups joined
    assert "  2026-06-02 08:00Z  wind 100 10 kt, visibility 6.21 sm, ceiling 2000 ft, (FEW017 BKN020)" in out
    assert "ceiling 2000 ft below 3000 ft (student_pilot) at FMMI 08:00Z" in out
    assert "  2026-06-01 14:00Z  wind 160 6 kt, visibility 2.8 sm" in out  # the PROB30 TEMPO, worst case
    assert "private_pilot" not in out
    assert out.splitlines()[-1] == "1 reports decoded, 24 hours."


@pytest.mark.django_db
def test_json_prints_one_object_per_hour_from_api_items(now):
    item = {"icaoId": "KFCA", "obsTime": 1780325700, "rawOb": "KFCA 011455Z AUTO 00000KT 7SM 08/08 A3031 RMK AO1"}
    out, _ = run("--json", stdin=json.dumps(item) + "\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["station"] == "KFCA" and row["kind"] == "METAR" and row["hour"] == "2026-06-01T14:00:00+00:00"
    assert row["values"]["visibility_sm"] == 7.0 and row["values"]["clouds"] is None
    assert row["values"]["unknown"] == ["ceiling"] and row["category"] is None
    assert {level: v["status"] for level, v in row["verdicts"].items()} == {
        "student_pilot": "unknown", "private_pilot": "unknown", "instrument_rated": "unknown"}
    assert row["verdicts"]["student_pilot"]["reasons"] == [
        "ceiling unknown: not reported or unreadable at KFCA 14:00Z"]


@pytest.mark.django_db
def test_the_minimums_an_admin_set_are_the_ones_applied(now):
    WeatherMinimums.objects.filter(training_level="instrument_rated").update(visibility_sm="0.20")
    out, _ = run("--level", "instrument_rated", "--json", METAR)
    verdict = json.loads(out)["verdicts"]["instrument_rated"]
    assert not any(r.startswith("visibility") and "below" in r for r in verdict["reasons"])


@pytest.mark.django_db
def test_a_nil_report_says_it_has_no_hours_and_a_bad_one_is_skipped_with_the_reason(now):
    out, err = run("SVMC 011453Z AUTO NIL", "not a report", METAR)
    assert "SVMC METAR: SVMC 011453Z AUTO NIL\n  no hours" in out
    assert "Skipped: no station (four-letter ICAO code) at the start of 'not a report'" in err
    assert out.splitlines()[-1] == "2 reports decoded, 1 hours, 1 skipped."


@pytest.mark.django_db
def test_nothing_readable_is_an_error(now):
    with pytest.raises(CommandError, match="No report could be read"):
        run('{"icaoId": "KPAO"}')
    with pytest.raises(CommandError, match="No report given"):
        run(stdin="\n\n")
