"""The weather timeline of a booking, drawn on the server as SVG.

Four small panels (ceiling, visibility, wind, gust) share one time axis across the booking window. Each
panel plots the worst value along the route at each hour (what the check judged), draws the student's
limit as a dashed line and marks every hour on the wrong side of it. The same numbers are also given as
a table, so nothing depends on reading the picture.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

from web import timefmt

WIDTH = 640
# A second, narrower drawing for phones, so the labels keep a readable size instead of shrinking with the SVG.
NARROW_WIDTH = 360
PANEL_HEIGHT = 110
PANEL_GAP = 34
LEFT = 64
RIGHT = 20
TOP = 24


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    unit: str
    # "min": the value must stay at or above the limit (ceiling, visibility); "max": at or below (wind, gust).
    bound: str
    floor_scale: float
    # Ceiling may be unlimited (no BKN/OVC layer): drawn at the top of the panel.
    unlimited_label: str = ""


METRICS = (
    Metric("ceiling_ft", "Ceiling", "ft AGL", "min", 6000, unlimited_label="unlimited"),
    Metric("visibility_sm", "Visibility", "sm", "min", 10),
    Metric("wind_kt", "Wind", "kt", "max", 20),
    Metric("gust_kt", "Gust", "kt", "max", 25),
)


@dataclass
class Sample:
    """What one location reported for one hour; None where the forecast had no value."""

    time: datetime
    location: str
    values: dict


@dataclass
class Panel:
    metric: Metric
    top: float
    limit: float | None
    limit_y: float | None
    path: str
    points: list = field(default_factory=list)
    ticks: list = field(default_factory=list)
    failing_count: int = 0
    title: str = ""


def _worst(metric: Metric, values: list) -> tuple[float | None, bool]:
    """Worst value across locations; `unlimited` True when every location had an unlimited ceiling."""
    known = [v for v in values if v is not None]
    if metric.unlimited_label and values and not known:
        return None, True
    if not known:
        return None, False
    return (min(known) if metric.bound == "min" else max(known)), False


def _fails(metric: Metric, value: float | None, limit: float | None) -> bool:
    if value is None or limit is None:
        return False
    return value < limit if metric.bound == "min" else value > limit


def _nice_scale(value: float) -> list[float]:
    """Round tick values from 0 to at least `value`: steps of 1, 2 or 5 × 10^k, at most five above zero."""
    magnitude = 10 ** math.floor(math.log10(max(value, 1e-9) / 5))
    for step in (magnitude, 2 * magnitude, 5 * magnitude, 10 * magnitude):
        count = math.ceil(value / step - 1e-9)
        if count <= 5:
            return [step * i for i in range(count + 1)]
    return [value * i / 4 for i in range(5)]


def build_timeline(*, samples: list[Sample], minimums: dict, window_start: datetime, window_end: datetime,
                   place=None, width: int = WIDTH) -> dict:
    """Everything the SVG template needs: panels with coordinates, the time axis, and a table of values."""
    times = sorted({s.time for s in samples})
    # The judged hours start at the top of the hour the window opens in, which may be before the window.
    if times:
        window_start, window_end = min(window_start, times[0]), max(window_end, times[-1])
    span = max((window_end - window_start).total_seconds(), 1.0)
    plot_width = width - LEFT - RIGHT

    def x_of(moment: datetime) -> float:
        return round(LEFT + plot_width * (moment - window_start).total_seconds() / span, 1)

    by_time: dict[datetime, list[Sample]] = {}
    for sample in samples:
        by_time.setdefault(sample.time, []).append(sample)

    panels = []
    for index, metric in enumerate(METRICS):
        top = TOP + index * (PANEL_HEIGHT + PANEL_GAP)
        limit = minimums.get(metric.key)
        worst = [(t, *_worst(metric, [s.values.get(metric.key) for s in by_time[t]])) for t in times]
        seen = [v for _, v, _ in worst if v is not None]
        scale_top = max([metric.floor_scale, *(v * 1.15 for v in seen), *([limit * 1.5] if limit else [])])
        if metric.key == "ceiling_ft":
            # Ceilings reach tens of thousands of feet; past a few times the limit the detail stops mattering.
            scale_top = min(scale_top, max(metric.floor_scale, (limit or 0) * 3))
        ticks = _nice_scale(scale_top)
        scale_top = ticks[-1]

        def y_of(value: float, top=top, scale_top=scale_top) -> float:
            clamped = min(max(value, 0.0), scale_top)
            return round(top + PANEL_HEIGHT * (1 - clamped / scale_top), 1)

        points, path = [], []
        for moment, value, unlimited in worst:
            if value is None and not unlimited:
                continue
            y = top if unlimited else y_of(value)
            failing = _fails(metric, value, limit)
            text = metric.unlimited_label if unlimited else f"{value:g} {metric.unit}"
            x = x_of(moment)
            points.append({"x": x, "y": y, "failing": failing,
                           "cross": f"M{x - 5:.1f},{y - 5:.1f} l10,10 m0,-10 l-10,10",
                           "label": f"{metric.title} {text} at {timefmt.format_local(moment, place)}"})
            path.append(f"{'M' if not path else 'L'}{x_of(moment)},{y}")
        failing = sum(1 for p in points if p["failing"])
        panels.append(Panel(
            metric=metric, top=top, limit=limit, limit_y=y_of(limit) if limit is not None else None,
            path=" ".join(path), points=points,
            ticks=[{"y": y_of(v), "label": f"{v:g}"} for v in ticks],
            failing_count=failing, title=_title(metric, limit, failing, bool(points), compact=width < WIDTH),
        ))

    axis_bottom = TOP + len(METRICS) * (PANEL_HEIGHT + PANEL_GAP) - PANEL_GAP
    hours = [{"x": x_of(t), "label": timefmt.format_local(t, place, with_date=False).split(" ")[0]} for t in times]
    rows = [
        {"time": timefmt.format_local(t, place), "location": s.location,
         "values": [_cell(metric, s.values.get(metric.key), minimums.get(metric.key)) for metric in METRICS]}
        for t in times for s in sorted(by_time[t], key=lambda s: s.location)
    ]
    return {
        "width": width, "height": axis_bottom + 30, "left": LEFT, "right": width - RIGHT,
        "axis_y": axis_bottom, "panels": panels, "hours": hours, "rows": rows, "metrics": METRICS,
        "has_data": bool(times), "zone": timefmt.zone_of(place).key,
    }


def _title(metric: Metric, limit, failing: int, has_points: bool, *, compact: bool) -> str:
    sign = "≥" if metric.bound == "min" else "≤"
    if compact:
        parts = [f"{metric.title} {sign} {limit:g} {metric.unit}" if limit is not None else metric.title]
        if failing:
            parts.append(f"{failing} h outside")
        elif not has_points:
            parts.append("none reported")
        return " · ".join(parts)
    parts = [f"{metric.title} ({metric.unit})"]
    if limit is not None:
        parts.append(f"limit {sign} {limit:g}")
    if failing:
        parts.append(f"{failing} hour{'s' if failing != 1 else ''} outside")
    elif not has_points:
        parts.append("none reported")
    return " — ".join(parts)


def _cell(metric: Metric, value, limit) -> dict:
    if value is None:
        return {"text": metric.unlimited_label or "–", "failing": False}
    return {"text": f"{value:g}", "failing": _fails(metric, value, limit)}
