"""The offline demo provider: a test or a demo that needs one weather asks for it by name."""

from datetime import UTC, datetime, timedelta

import pytest

from weather.providers.demo import next_block_with, scenario_for

AFTER = datetime(2027, 6, 9, 23, 10, tzinfo=UTC)


def test_the_first_block_with_a_named_scenario():
    block = next_block_with("KPAO", "student_pilot_conflict", after=AFTER, within=timedelta(hours=36))
    assert block is not None and AFTER <= block < AFTER + timedelta(hours=36)
    assert (block.minute, block.hour % 3) == (0, 0)
    assert scenario_for("KPAO", block) == "student_pilot_conflict"
    # It is the first: no block between the instant and it has that weather.
    assert next_block_with("KPAO", "student_pilot_conflict", after=AFTER, within=block - AFTER) is None


def test_a_block_already_begun_is_not_offered():
    block = next_block_with("KPAO", "clear", after=AFTER, within=timedelta(hours=36))
    assert block >= AFTER


def test_an_unknown_scenario_is_refused():
    with pytest.raises(ValueError, match="unknown demo scenario 'hail'"):
        next_block_with("KPAO", "hail", after=AFTER, within=timedelta(hours=36))
