#!/usr/bin/env python3
"""HTTP load against a running Flight Schedule Pro: the bookings list for a student and for an admin, booking
creation, and a baseline, at a fixed number of concurrent connections.

    python scripts/load.py --url https://staging.example.com            # lists only, demo logins
    python scripts/load.py --url http://127.0.0.1:8000 --scenario create  # writes bookings: opt in by name

Every run is bounded twice: by --duration seconds and by --max-requests per scenario. Only loopback is a
default target; anything else has to be named with --url. Prints one line per scenario (requests per second,
p50/p99 latency, statuses) and, with --json, one JSON object per scenario on stdout instead.

It is a plain asyncio client speaking HTTP/1.1 on raw streams, so one process holds 32 connections while
spending far less CPU per request than the server it measures.
"""

import argparse
import asyncio
import json
import random
import ssl
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

DEMO_PASSWORD = "fly-safe-2026"
DEFAULT_STUDENT = "load.student0000@demo.flightschedule.pro"
DEFAULT_ADMIN = "ops@demo.flightschedule.pro"
SCENARIOS = ("health", "bare", "student_list", "admin_list", "create")
READ_SCENARIOS = ("student_list", "admin_list")


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection that reopens itself when the server closes it."""

    def __init__(self, host: str, port: int, tls: bool):
        self.host, self.port, self.tls = host, port, tls
        self.reader = self.writer = None

    async def _open(self):
        context = ssl.create_default_context() if self.tls else None
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, ssl=context, server_hostname=self.host if self.tls else None)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        for attempt in (1, 2):
            if self.writer is None:
                await self._open()
            try:
                self.writer.write(raw)
                return await self._read_response()
            except (ConnectionError, asyncio.IncompleteReadError):
                # A server that closed an idle keep-alive connection: one fresh connection, then give up.
                self.close()
                if attempt == 2:
                    raise
        raise HttpError("unreachable")

    async def _read_response(self) -> tuple[int, bytes]:
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._read_chunked()
        else:
            body = await self.reader.read()
            self.close()
            return status, body
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


class Target:
    def __init__(self, url: str):
        parts = urlsplit(url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SystemExit(f"--url must be http(s)://host[:port], not {url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path
        self.host_header = parts.netloc

    def connection(self) -> Connection:
        return Connection(self.host, self.port, self.tls)

    def request(self, method: str, path: str, *, token: str | None = None, body: dict | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else b""
        lines = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}", "Accept: application/json",
                 "User-Agent: fsp-load/1", f"Content-Length: {len(data)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        if token:
            lines.append(f"Authorization: Bearer {token}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def call_json(target: Target, method: str, path: str, *, token=None, body=None):
    connection = target.connection()
    try:
        status, raw = await connection.send(target.request(method, path, token=token, body=body))
    finally:
        connection.close()
    try:
        payload = json.loads(raw or b"null")
    except ValueError:
        payload = raw[:200]
    return status, payload


async def login(target: Target, email: str, password: str) -> str:
    status, payload = await call_json(target, "POST", "/api/v1/auth/login/",
                                      body={"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"Could not sign in as {email}: HTTP {status} {payload}")
    return payload["access"]


async def all_pages(target: Target, path: str, token: str, limit: int = 500) -> list[dict]:
    rows, page = [], 1
    while len(rows) < limit:
        separator = "&" if "?" in path else "?"
        status, payload = await call_json(target, "GET", f"{path}{separator}page={page}&page_size=100", token=token)
        if status != 200:
            raise SystemExit(f"GET {path} answered HTTP {status}: {payload}")
        rows.extend(payload["results"])
        if not payload.get("next"):
            break
        page += 1
    return rows


def _ref(value):
    """A related object as the API accepts it back: its id when the list nested it."""
    return value["id"] if isinstance(value, dict) else value


class BookingSlots:
    """Booking bodies that never overlap one another: request i takes aircraft i mod A, instructor i mod I and
    student i mod S, in time block i // min(A, I, S). Two requests in one block are fewer than min(A, I, S)
    apart, so they differ in all three. The blocks start on a random far-future day so that repeated runs
    against one database do not collide with each other or with the school's real bookings."""

    def __init__(self, *, students, instructors, aircraft, lesson=timedelta(hours=1), gap=timedelta(hours=2)):
        if not (students and instructors and aircraft):
            raise SystemExit("The create scenario needs students, instructors and available aircraft.")
        self.students, self.instructors, self.aircraft = students, instructors, aircraft
        self.width = min(len(students), len(instructors), len(aircraft))
        first_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        # Inside the two-year booking horizon (bookings.services refuses later starts with a 400), with room
        # for the couple of weeks of blocks a long run fills.
        self.origin = first_day + timedelta(days=random.randint(60, 690))
        self.lesson, self.gap = lesson, gap

    def body(self, i: int) -> dict:
        plane = self.aircraft[i % len(self.aircraft)]
        start = self.origin + (i // self.width) * self.gap
        home = _ref(plane["home_airport"])
        return {
            "student": self.students[i % len(self.students)]["id"],
            "instructor": self.instructors[i % len(self.instructors)]["id"],
            "aircraft": plane["id"],
            "departure_airport": home,
            "destination_airport": home,
            "start": start.isoformat(),
            "end": (start + self.lesson).isoformat(),
            "lesson_type": "dual",
            "override_availability": True,
        }


async def prepare(target: Target, scenarios, args) -> dict:
    """Tokens and request builders per scenario: everything that needs the server before the clock starts."""
    builders = {}
    student_token = admin_token = None
    if "student_list" in scenarios:
        student_token = args.student_token or await login(target, args.student_email, args.password)
    if {"admin_list", "create"} & set(scenarios):
        admin_token = args.admin_token or await login(target, args.admin_email, args.password)
    page = f"/api/v1/bookings/?{urlencode({'page_size': 50})}"
    fixed = {
        "health": target.request("GET", "/health"),
        "bare": target.request("GET", "/bench/bare/"),
        "student_list": target.request("GET", page, token=student_token),
        "admin_list": target.request("GET", page, token=admin_token),
    }
    for name in scenarios:
        if name in fixed:
            builders[name] = (lambda raw: lambda i: raw)(fixed[name])
    if "create" in scenarios:
        students = await all_pages(target, "/api/v1/users/?role=student", admin_token)
        instructors = await all_pages(target, "/api/v1/users/?role=instructor", admin_token)
        aircraft = [a for a in await all_pages(target, "/api/v1/aircraft/", admin_token)
                    if a.get("status", "available") == "available"]
        slots = BookingSlots(students=[s for s in students if s.get("is_active", True)],
                             instructors=[s for s in instructors if s.get("is_active", True)], aircraft=aircraft)
        builders["create"] = lambda i: target.request("POST", "/api/v1/bookings/", token=admin_token,
                                                      body=slots.body(i))
    return builders


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


async def run_scenario(target: Target, name: str, build, *, connections: int, duration: float, warmup: float,
                       max_requests: int) -> dict:
    counter = iter(range(10**9))
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup
    stop_at = measure_from + duration

    async def worker():
        connection = target.connection()
        try:
            while loop.time() < stop_at and len(latencies) < max_requests:
                raw = build(next(counter))
                started = time.perf_counter()
                try:
                    status, _ = await asyncio.wait_for(connection.send(raw), timeout=30)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, HttpError, ValueError) as exc:
                    connection.close()
                    if loop.time() >= measure_from:
                        errors[type(exc).__name__] += 1
                    continue
                elapsed = time.perf_counter() - started
                if loop.time() >= measure_from:
                    latencies.append(elapsed)
                    statuses[status] += 1
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    measured = max(1e-9, min(loop.time(), stop_at) - measure_from)
    latencies.sort()
    ok = sum(count for status, count in statuses.items() if 200 <= status < 300)
    return {
        "scenario": name,
        "connections": connections,
        "seconds": round(measured, 2),
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "rps": round(len(latencies) / measured, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
    }


def format_line(result: dict) -> str:
    statuses = " ".join(f"{k}x{v}" for k, v in result["statuses"].items())
    errors = " ".join(f"{k}x{v}" for k, v in result["errors"].items())
    return (f"{result['scenario']:<13} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']} ms  "
            f"p99 {result['p99_ms']} ms  ({result['requests']} requests: {statuses}{' ' + errors if errors else ''})")


async def main_async(args) -> list[dict]:
    target = Target(args.url)
    scenarios = args.scenario or list(READ_SCENARIOS)
    builders = await prepare(target, scenarios, args)
    results = []
    for name in scenarios:
        result = await run_scenario(target, name, builders[name], connections=args.connections,
                                    duration=args.duration, warmup=args.warmup, max_requests=args.max_requests)
        results.append(result)
        print(json.dumps(result) if args.json else format_line(result), flush=True)
    return results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of the deployment")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS,
                        help="repeatable; default: the two bookings lists (create writes bookings: opt in)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per scenario (max 120)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before measuring")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop a scenario after this many")
    parser.add_argument("--student-email", default=DEFAULT_STUDENT)
    parser.add_argument("--admin-email", default=DEFAULT_ADMIN)
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--student-token", help="use this access token instead of signing in")
    parser.add_argument("--admin-token", help="use this access token instead of signing in")
    parser.add_argument("--json", action="store_true", help="one JSON object per scenario")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("--url is empty: give the deployment's base URL, e.g. make load URL=https://...")
    args.duration = min(max(args.duration, 0.5), 120.0)
    args.warmup = min(max(args.warmup, 0.0), 30.0)
    args.connections = min(max(args.connections, 1), 256)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    results = asyncio.run(main_async(args))
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
