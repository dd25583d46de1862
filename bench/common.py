"""Helpers shared by the in-process benchmarks: Django set-up, query counting and percentiles."""

import argparse
import json
import os
import sys
from contextlib import contextmanager


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


class QueryCounter:
    """Counts SQL statements on every database connection, including those that worker threads open."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_queries():
    from django.db import connections
    from django.db.backends.signals import connection_created

    counter = QueryCounter()

    def attach(sender, connection, **kwargs):
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)

    for conn in connections.all():
        conn.execute_wrappers.append(counter)
    connection_created.connect(attach, weak=False)
    try:
        yield counter
    finally:
        connection_created.disconnect(attach)
        for conn in connections.all():
            if counter in conn.execute_wrappers:
                conn.execute_wrappers.remove(counter)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def finish(result: dict) -> int:
    """Human-readable lines on stderr, the JSON result as the last line of stdout (bench.run reads it)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", action="store_true")
    args, _ = parser.parse_known_args()
    for key, value in result.items():
        print(f"{key}: {value}", file=sys.stderr)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0
