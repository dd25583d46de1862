"""The raw-token reader that stands in where avwx-engine misreads visibility or cannot tell a clear sky from none."""

import pytest

from weather.providers.report_tokens import (
    TEN_KM_SM,
    body_tokens,
    ceiling_base_missing,
    is_nil_or_cancelled,
    read_layers,
    read_visibility,
    sky_stated,
)


def visibility(raw: str):
    found = read_visibility(body_tokens(raw, observation=True))
    return None if found is None else found.statute_miles


@pytest.mark.parametrize("raw, expected", [
    ("KAAA 011453Z 00000KT 10SM CLR 10/09 A3000", 10.0),
    ("KAAA 011453Z 00000KT P6SM CLR 10/09 A3000", 6.0),
    ("KAAA 011453Z 00000KT 1/2SM FG VV002 10/09 A3000", 0.5),
    ("KAAA 011453Z 00000KT 1/16SM FG VV001 10/09 A3000", 0.0625),
    ("KAAA 011453Z 00000KT 1/8SM FG VV001 10/09 A3000", 0.125),
    ("KAAA 011453Z 00000KT 3/16SM FG VV001 10/09 A3000", 0.1875),
    ("KAAA 011453Z 00000KT M1/4SM FZFG VV001 M02/M02 A3000", 0.25),
    ("KAAA 011453Z 00000KT 1/4 SM FG OVC002 09/09 A3019", 0.25),  # written with a space
    ("KAAA 011453Z 00000KT 1 3/8SM -SN BR OVC005 00/00 A2996", 1.375),
    ("KAAA 011453Z 00000KT 2 3/4SM BR OVC005 05/04 A2996", 2.75),
    ("KAAA 011453Z 00000KT 1 5/8SM BR OVC005 05/04 A2996", 1.625),
    ("KAAA 011453Z 00000KT 1 7/8SM BR OVC005 05/04 A2996", 1.875),
    ("EAAA 011450Z 24008KT 0800 FG VV002 05/05 Q1016", 0.5),
    ("EAAA 011450Z 24008KT 9999 FEW040 15/05 Q1016", TEN_KM_SM),
    ("EAAA 011450Z 24008KT CAVOK 15/05 Q1016", TEN_KM_SM),
    ("EAAA 011450Z 24008KT 4000 1500SW BR BKN010 15/05 Q1016", 2.49),  # prevailing, not the minimum
])
def test_every_visibility_form_a_report_uses(raw, expected):
    assert visibility(raw) == pytest.approx(expected, abs=0.005)


def test_cavok_is_ten_kilometres_not_9999_miles():
    assert TEN_KM_SM == 6.21


@pytest.mark.parametrize("raw", [
    "KAAA 011456Z AUTO A3030 RMK AO2 SLPNO",  # no visibility group at all
    "YAAA 012100Z AUTO 17006KT //// // SCT009 23/20 Q1017",  # sensor out
    "KAAA 011445Z 00000KT 8M OVC024 09/09 A3031",  # unreadable
    "KAAA 010107Z 08009KT 8SM18 OVC043 07/05 A2987",  # run together
])
def test_missing_or_unreadable_visibility_is_none(raw):
    assert visibility(raw) is None


def test_a_remark_or_a_trend_is_not_the_observation():
    assert visibility("KAAA 011453Z 00000KT 10SM CLR 10/09 A3000 RMK VIS 1/2SM") == 10.0
    tokens = body_tokens("YAAA 012100Z 15006KT 9999 SCT023 BKN035 24/23 Q1011 INTER 2100/2400 4000 SHRA BKN018",
                         observation=True)
    assert read_layers(tokens) == [("SCT", 2300), ("BKN", 3500)]


def test_sky_stated_tells_a_clear_sky_from_no_sky_group():
    assert sky_stated(body_tokens("KAAA 011453Z 00000KT 10SM CLR 10/09 A3000"))
    assert sky_stated(body_tokens("EAAA 011450Z 24008KT CAVOK 15/05 Q1016"))
    assert sky_stated(body_tokens("EAAA 011450Z 24008KT 9999 NSC 15/05 Q1016"))
    assert not sky_stated(body_tokens("KAAA 011455Z AUTO 00000KT 7SM 08/08 A3031 RMK A01"))
    assert not sky_stated(body_tokens("YAAA 012100Z AUTO 09005KT //// // ////// 20/17 Q1017"))


def test_layers_read_with_their_bases_even_when_run_together():
    assert read_layers(body_tokens("KAAA 011445Z 00000KT 10SM SCT120BKN180 M04/M05 A3029")) == [
        ("SCT", 12000), ("BKN", 18000)]
    assert read_layers(body_tokens("KAAA 011445Z 00000KT 1/4SM FG VV002 M04/M05 A3029")) == [("VV", 200)]
    assert read_layers(["BKN025CB", "OVC///"]) == [("BKN", 2500)]


def test_a_ceiling_layer_without_a_height_makes_the_ceiling_unknown():
    assert ceiling_base_missing(["VV///"])
    assert ceiling_base_missing(["OVC///"])
    assert not ceiling_base_missing(["FEW///", "BKN020"])


def test_nil_and_cnl():
    assert is_nil_or_cancelled("KAAA 011453Z AUTO NIL")
    assert is_nil_or_cancelled("TAF KAAA 281000Z 2812/2912 CNL=")
    assert not is_nil_or_cancelled("KAAA 011453Z 00000KT 10SM CLR 10/09 A3000")
