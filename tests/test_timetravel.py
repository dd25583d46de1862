"""The suite's moved clock reaches the processes a test starts."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import time_machine

from tests.timetravel import child_clock_env

CHILD_NOW = "import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())"


def child_now(env) -> datetime:
    out = subprocess.run([sys.executable, "-c", CHILD_NOW], env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    return datetime.fromisoformat(out.strip())


def test_a_child_lives_in_the_parents_moved_moment():
    with time_machine.travel(datetime(2031, 2, 28, 23, 59, 30, tzinfo=UTC), tick=True):
        before = datetime.now(UTC)
        seen = child_now(child_clock_env(dict(os.environ)))
        after = datetime.now(UTC)
    assert before <= seen <= after


def test_without_a_moved_clock_the_child_keeps_the_machines():
    env = dict(os.environ, TEST_CLOCK_SHIFT="1000000")
    if time_machine.escape_hatch.is_travelling():
        # Under TEST_CLOCK the whole run is moved, and the child must follow it: nothing to compare with here.
        assert "TEST_CLOCK_SHIFT" in child_clock_env(env)
        return
    cleaned = child_clock_env(env)
    assert "TEST_CLOCK_SHIFT" not in cleaned
    assert abs(child_now(cleaned) - datetime.now(UTC)) < timedelta(seconds=30)
