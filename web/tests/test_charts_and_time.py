from datetime import UTC, datetime, timedelta

from bookings.models import Airport
from web import charts, timefmt

START = datetime(2026, 3, 3, 16, 30, tzinfo=UTC)
PAO = Airport(icao="KPAO", time_zone="America/Los_Angeles")
MINIMUMS = {"ceiling_ft": 3000, "visibility_sm": 5.0, "wind_kt": 10, "gust_kt": 15}


def _samples(**values_by_location):
    return [charts.Sample(time=START + timedelta(minutes=30 + 60 * hour), location=location, values=values)
            for location, hours in values_by_location.items() for hour, values in enumerate(hours)]


def test_times_carry_the_airports_zone():
    assert timefmt.format_local(START, PAO) == "Tue 03 Mar 08:30 PST"
    assert timefmt.format_local_range(START, START + timedelta(hours=2), PAO) == "Tue 03 Mar 08:30–10:30 PST"
    overnight = timefmt.format_local_range(START + timedelta(hours=15), START + timedelta(hours=17), PAO)
    assert overnight == "Tue 03 Mar 23:30 PST – Wed 04 Mar 01:30 PST"


def test_a_range_across_the_dst_change_names_both_zones():
    spring = datetime(2026, 3, 8, 9, 30, tzinfo=UTC)  # 01:30 PST, clocks jump at 02:00
    assert timefmt.format_local_range(spring, spring + timedelta(hours=1), PAO) == "Sun 08 Mar 01:30 PST–03:30 PDT"


def test_the_worst_value_along_the_route_is_plotted_and_judged():
    samples = _samples(
        KPAO=[{"visibility_sm": 10.0, "ceiling_ft": None, "wind_kt": 5.0, "gust_kt": None}] * 2,
        KSQL=[{"visibility_sm": 4.0, "ceiling_ft": 2500.0, "wind_kt": 12.0, "gust_kt": 16.0},
              {"visibility_sm": 6.0, "ceiling_ft": None, "wind_kt": 9.0, "gust_kt": None}],
    )
    timeline = charts.build_timeline(samples=samples, minimums=MINIMUMS, window_start=START,
                                     window_end=START + timedelta(hours=2), place=PAO)
    panels = {panel.metric.key: panel for panel in timeline["panels"]}
    assert [p["failing"] for p in panels["visibility_sm"].points] == [True, False]
    assert [p["failing"] for p in panels["ceiling_ft"].points] == [True, False]
    assert panels["ceiling_ft"].points[1]["label"].startswith("Ceiling unlimited")
    assert panels["wind_kt"].failing_count == 1 and panels["gust_kt"].failing_count == 1
    assert [h["label"] for h in timeline["hours"]] == ["09:00", "10:00"]
    assert [t["label"] for t in panels["gust_kt"].ticks] == ["0", "5", "10", "15", "20", "25"]
    assert [t["label"] for t in panels["ceiling_ft"].ticks] == ["0", "2000", "4000", "6000"]
    assert len(timeline["rows"]) == 4
    # A failing visibility sits below the dashed limit line (larger y is lower on screen).
    assert panels["visibility_sm"].points[0]["y"] > panels["visibility_sm"].limit_y


def test_no_samples_means_nothing_to_chart():
    timeline = charts.build_timeline(samples=[], minimums=MINIMUMS, window_start=START,
                                     window_end=START + timedelta(hours=2), place=PAO)
    assert timeline["has_data"] is False
    assert all(panel.path == "" for panel in timeline["panels"])
