"""Custom metrics as CloudWatch Embedded Metric Format (EMF) log lines.

On Lambda every line printed to stdout lands in CloudWatch Logs; a line shaped like EMF also becomes a
metric in the `FlightSchedulePro` namespace, with no agent and no API call. Elsewhere the line is simply
a structured log line.
"""

import json
import math
import sys
import time

NAMESPACE = "FlightSchedulePro"

# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html
_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}


def emit(metrics: dict[str, float], *, units: dict[str, str] | None = None,
         dimensions: dict[str, str] | None = None, stream=None) -> dict:
    """Write one EMF line with these figures and return it.

    Figures that are None (a rate with nothing to divide) or not finite are left out: CloudWatch rejects
    them, and a missing point is the honest answer. With dimensions, each figure is published twice: per
    dimension value and without any dimension, so alarms and dashboards can watch the plain metric name
    whichever job wrote it.
    """
    units = units or {}
    dimensions = {str(key): str(value) for key, value in (dimensions or {}).items()}
    values = {
        name: value for name, value in metrics.items()
        if value is not None and not isinstance(value, bool) and math.isfinite(float(value))
    }
    for name in units:
        if units[name] not in _UNITS:
            raise ValueError(f"{units[name]!r} is not a CloudWatch unit")
    payload = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [sorted(dimensions), []] if dimensions else [[]],
                "Metrics": [{"Name": name, "Unit": units.get(name, "None")} for name in values],
            }],
        },
        **dimensions,
        **values,
    }
    out = stream or sys.stdout
    out.write(json.dumps(payload, separators=(",", ":")) + "\n")
    out.flush()
    return payload


# Every run of a scheduled job reports these, with the dimension Job=<name>, whether it finished, was skipped
# (another run held the lock) or raised: the heartbeat alarms (audit.alarms) watch JobRuns, so a job that
# stops running alarms even though it writes none of its own figures.
JOB_RUNS, JOB_FAILURES, JOB_SECONDS = "JobRuns", "JobFailures", "JobSeconds"


def emit_job_run(job: str, *, failed: bool, seconds: float, stream=None) -> dict:
    return emit({JOB_RUNS: 1, JOB_FAILURES: int(failed), JOB_SECONDS: round(seconds, 3)},
                units={JOB_RUNS: "Count", JOB_FAILURES: "Count", JOB_SECONDS: "Seconds"},
                dimensions={"Job": job}, stream=stream)
