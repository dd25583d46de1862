"""Every text colour pair the stylesheet uses meets WCAG AA (4.5:1), badges included."""

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "app.css").read_text()
VARIABLES = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))
WHITE = "#ffffff"

# (text, background) as the stylesheet combines them.
PAIRS = {
    "body text": ("ink", "paper"),
    "body text on the page": ("ink", "page"),
    "muted text": ("muted", "paper"),
    "muted text on the page": ("muted", "page"),
    "links": ("accent", "paper"),
    "primary button": (WHITE, "accent"),
    "header": (WHITE, "brand"),
    "badge ok": ("ok-ink", "ok-bg"),
    "badge marginal": ("marginal-ink", "marginal-bg"),
    "badge conflict": ("conflict-ink", "conflict-bg"),
    "badge unknown": ("unknown-ink", "unknown-bg"),
    "weather hold status": (WHITE, "conflict-ink"),
    "error text": ("conflict-ink", "paper"),
}


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _colour(name: str) -> str:
    return name if name.startswith("#") else VARIABLES[name]


def test_the_contrast_formula_matches_the_known_extremes():
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert contrast("#777777", "#ffffff") < 4.5


@pytest.mark.parametrize("pair", sorted(PAIRS))
def test_text_contrast_is_at_least_4_5(pair):
    text, background = PAIRS[pair]
    assert contrast(_colour(text), _colour(background)) >= 4.5


def test_the_focus_ring_stands_out_from_white_by_3_to_1():
    assert contrast(VARIABLES["focus"], WHITE) >= 3.0
