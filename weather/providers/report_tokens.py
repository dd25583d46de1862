"""Reading the elements of a raw METAR or TAF group that avwx-engine gets wrong or cannot say it lacks.

avwx-engine 1.9.10 reads mixed fractions low (`1 3/8SM` as 1.125), loses `M1/4SM`, `3/16SM` and `1/4 SM`
(written with a space), shows `CAVOK` as 9999 sm, and gives an empty cloud list both for a clear sky and
for a report with no sky group at all. The visibility and whether the sky was reported are therefore read
here from the raw tokens; everything else still comes from avwx. Each reader answers None when the element
is missing or unreadable: the judge takes that as unknown, never as unlimited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

METRES_PER_SM = 1609.344
# 9999 and CAVOK both mean "10 km or more"; nothing further is promised.
TEN_KM_SM = round(10000 / METRES_PER_SM, 2)

_WHOLE_SM = re.compile(r"^([PM])?(\d{1,2})SM$")
_FRACTION_SM = re.compile(r"^([PM])?(\d{1,2})/(\d{1,2})SM$")
_WHOLE = re.compile(r"^\d$")
_FRACTION = re.compile(r"^([PM])?(\d{1,2})/(\d{1,2})$")
_METRES = re.compile(r"^(\d{4})(NDV)?$")
_LAYER = re.compile(r"^(FEW|SCT|BKN|OVC|VV)(\d{3}|///)(CB|TCU|///)?$")
_GLUED_LAYERS = re.compile(r"^(?:(?:FEW|SCT|BKN|OVC)\d{3}(?:CB|TCU)?){2,}$")
_ONE_LAYER = re.compile(r"(?:FEW|SCT|BKN|OVC)\d{3}(?:CB|TCU)?")
CLEAR_SKY = ("SKC", "CLR", "NSC", "NCD")
TREND = ("NOSIG", "BECMG", "TEMPO", "INTER")
# Groups that open a TAF change group, or time a forecast line; they are never an element.
_CHANGE = re.compile(r"^(FM\d{6}|BECMG|TEMPO|INTER|PROB\d{2}|\d{4}/\d{4}|TAF|AMD|COR|RTD|AUTO)$")


@dataclass(frozen=True)
class Visibility:
    statute_miles: float
    text: str  # as written, for the page a pilot reads


def body_tokens(raw: str, *, observation: bool = False) -> list[str]:
    """The tokens of a report or forecast line that can hold elements: no remarks, no header, no timing.

    For an observation (`observation=True`) the trend appended to it (NOSIG, BECMG, TEMPO, INTER ...) is
    dropped too: it is a forecast for the next two hours, not what was observed."""
    tokens = raw.replace("=", " ").split()
    if "RMK" in tokens:
        tokens = tokens[: tokens.index("RMK")]
    if observation:
        cut = next((i for i, t in enumerate(tokens) if t in TREND), len(tokens))
        tokens = tokens[:cut]
    body = []
    for token in tokens:
        if _CHANGE.match(token):
            continue
        # A lost space (`SCT120BKN180`) still says two layers; the AWC reads it so, and so do we.
        body.extend(_ONE_LAYER.findall(token) if _GLUED_LAYERS.match(token) else [token])
    return body


def _fraction(numerator: str, denominator: str) -> Fraction | None:
    if int(denominator) == 0:
        return None
    value = Fraction(int(numerator), int(denominator))
    if value >= 1 and len(numerator) == 2:
        # Canadian and some US TAFs drop the space of a mixed number: 11/2SM is 1 1/2 sm.
        value = int(numerator[0]) + Fraction(int(numerator[1]), int(denominator))
    return value


def _fractional_visibility(tokens: list[str], i: int, match: re.Match, *, written: str) -> Visibility | None:
    """A fraction at `tokens[i]`, with the whole miles before it (`1 3/8SM`) unless it has an M/P prefix."""
    value = _fraction(match[2], match[3])
    if value is None:
        return None
    if _WHOLE.match(tokens[i - 1] if i else "") and not match[1]:
        value += int(tokens[i - 1])
        written = f"{tokens[i - 1]} {written}"
    return Visibility(round(float(value), 4), written)


def read_visibility(tokens: list[str]) -> Visibility | None:
    """The prevailing visibility among a group's tokens, in statute miles; None when none is readable."""
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "CAVOK":
            return Visibility(TEN_KM_SM, "CAVOK")
        if match := _WHOLE_SM.match(token):
            return Visibility(float(int(match[2])), token)
        if match := _FRACTION_SM.match(token):
            return _fractional_visibility(tokens, i, match, written=token)
        if _WHOLE.match(token) and nxt == "SM":
            return Visibility(float(int(token)), f"{token} SM")
        if (match := _FRACTION.match(token)) and nxt == "SM":
            return _fractional_visibility(tokens, i, match, written=f"{token} SM")
        if match := _METRES.match(token):
            metres = int(match[1])
            miles = TEN_KM_SM if metres >= 9999 else round(metres / METRES_PER_SM, 2)
            return Visibility(miles, token)
    return None


def sky_stated(tokens: list[str]) -> bool:
    """Whether the group says anything about the sky: a layer, a vertical visibility, a clear code or CAVOK."""
    return any(t == "CAVOK" or t in CLEAR_SKY or _LAYER.match(t) for t in tokens)


def read_layers(tokens: list[str]) -> list[tuple[str, int]]:
    """(cover, base ft) of every layer with a measured base; VV is a vertical visibility, a ceiling."""
    layers = []
    for token in tokens:
        match = _LAYER.match(token)
        if match and match[2] != "///":
            layers.append((match[1], int(match[2]) * 100))
    return layers


def ceiling_base_missing(tokens: list[str]) -> bool:
    """A BKN, OVC or VV layer whose height was not measured (`OVC///`, `VV///`): the ceiling is unknown."""
    for token in tokens:
        match = _LAYER.match(token)
        if match and match[1] in ("BKN", "OVC", "VV") and match[2] == "///":
            return True
    return False


def weather_cleared(tokens: list[str]) -> bool:
    """NSW (no significant weather) in a change group ends the weather of the group before it; CAVOK too."""
    return "NSW" in tokens or "CAVOK" in tokens


def is_nil_or_cancelled(raw: str) -> bool:
    """A NIL report (nothing observed or forecast) or a cancelled TAF (CNL) carries no values at all."""
    tokens = set(raw.replace("=", " ").split())
    return bool(tokens & {"NIL", "CNL"})
