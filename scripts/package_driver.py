"""Calls Zappa's handler from an unpacked Lambda package, the way the python3.11 runtime does.

Run with `python3.11 -S` (no site-packages of this machine): the package directory comes first on the path,
then a directory standing in for the runtime's own boto3, as on Lambda (/var/task, then /var/runtime).
Writes one result per event, and how long the cold start took, as JSON.

    python3.11 -S package_driver.py TASK_DIR RUNTIME_DIR EVENTS.json RESULTS.json
"""

import json
import os
import sys
import time
import types

started = time.perf_counter()
task_dir, runtime_dir, events_path, results_path = sys.argv[1:5]
sys.path[:0] = [task_dir, runtime_dir]
os.chdir(task_dir)

from handler import lambda_handler  # noqa: E402  (Zappa's handler.py at the package root, as Lambda calls it)

imported = time.perf_counter()
timeout_s = float(os.environ.get("PACKAGE_CHECK_TIMEOUT_S", "30"))


def context(begun: float):
    return types.SimpleNamespace(
        function_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "flight-schedule-pro"),
        memory_limit_in_mb=int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")),
        aws_request_id=f"package-check-{time.monotonic_ns()}",
        get_remaining_time_in_millis=lambda: max(0, int((timeout_s - (time.perf_counter() - begun)) * 1000)))


with open(events_path) as source:
    events = json.load(source)
results = []
for index, event in enumerate(events):
    begun = time.perf_counter()
    try:
        outcome = {"result": lambda_handler(event, context(begun))}
    except Exception as exc:  # the check reports it; Lambda would log it and answer 502
        outcome = {"error": f"{type(exc).__name__}: {exc}"}
    outcome["seconds"] = time.perf_counter() - begun
    if index == 0:
        outcome["cold_start_seconds"] = time.perf_counter() - started
        outcome["import_seconds"] = imported - started
    results.append(outcome)
with open(results_path, "w") as target:
    json.dump(results, target, default=str)
