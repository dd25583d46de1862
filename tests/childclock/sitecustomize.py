"""Starts a child Python process on the test run's clock.

The suite's helpers for child processes put this folder first on PYTHONPATH and set TEST_CLOCK_SHIFT to how
far the parent's clock is moved from the machine's (`TEST_CLOCK`, or a test's own travel), so a worker, a Lambda
handler or a command started by a test lives in the same moment as the test that checks its work.
"""

import os

if os.environ.get("TEST_CLOCK_SHIFT"):
    import time

    import time_machine

    time_machine.travel(time.time() + float(os.environ["TEST_CLOCK_SHIFT"]), tick=True).start()
    # A moved clock starts ticking at its first reading, not at start(): read it now, or the child falls
    # behind the parent by however long its imports take.
    time.time()
