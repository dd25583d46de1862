"""The test run's clock, carried into the child processes that tests start."""

import os
import time
from pathlib import Path

import time_machine

CHILD_CLOCK_PATH = Path(__file__).resolve().parent / "childclock"


def child_clock_env(env: dict) -> dict:
    """`env` for a child Python process whose clock is moved as far as this process's is, when it is.

    The shift, not an instant, is handed over: the child's clock then agrees with the parent's from its first
    line on, however long the interpreter takes to start. Without a moved clock the child runs on the machine's
    clock like the test, and `env` comes back as it was.
    """
    env = dict(env)
    env.pop("TEST_CLOCK_SHIFT", None)
    if time_machine.escape_hatch.is_travelling():
        env["TEST_CLOCK_SHIFT"] = repr(time.time() - time_machine.escape_hatch.time.time())
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHILD_CLOCK_PATH), env.get("PYTHONPATH", "")]))
    return env
