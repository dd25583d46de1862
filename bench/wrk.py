"""The API load of `make bench` driven by wrk, a C load generator that costs a small fraction of the CPU the
server spends per request. With a Python client on the same two cores the client itself caps every scenario,
the bare baseline included, and squeezes every ratio towards 1.

Every scenario is one wrk run with a generated Lua script: fixed requests (the lists, the bare view) set the
method, path and headers once; the two creation scenarios build each request's body in Lua, so no two bodies
overlap (request i takes aircraft i mod A, instructor i mod I, student i mod S in time block i div min(A, I, S),
and each wrk thread takes every T-th i). wrk itself reports requests, latency percentiles and non-2xx/3xx
answers; the CPU seconds it used come from the kernel (its rusage as a child process).
"""

import contextlib
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write("WRK-JSON " .. string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

# Each thread learns its index before it starts (wrk starts a thread right after its setup, so the thread
# count is written into the script rather than set later), and the request counters of the threads never meet.
WRK_THREADS = """
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end
"""

CREATE_LUA = """
local students = {%(students)s}
local instructors = {%(instructors)s}
local aircraft = {%(aircraft)s}
local airport_of = {%(airports)s}
local width = math.min(#students, #instructors, #aircraft)
local origin = %(origin)d
local nthreads = %(threads)d
local counter = nil
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"%(auth)s}

function request()
  if counter == nil then counter = tid end
  local i = counter
  counter = counter + nthreads
  local plane = i %% #aircraft + 1
  local start = origin + math.floor(i / width) * %(gap)d
  local home = airport_of[plane]
  local body = string.format(
    '{"student":%%d,"instructor":%%d,"aircraft":%%d,"departure_airport":%%s,"destination_airport":%%s,'
    .. '"start":"%%s","end":"%%s","lesson_type":"dual"%(extra)s}',
    students[i %% #students + 1], instructors[i %% #instructors + 1], aircraft[plane], home, home,
    os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", start), os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", start + %(lesson)d))
  return wrk.format("POST", "%(path)s", headers, body)
end
"""


def find_wrk() -> str | None:
    return shutil.which("wrk")


def fixed_script(path: str, token: str | None) -> str:
    header = f'wrk.headers["Authorization"] = "Bearer {token}"\n' if token else ""
    return f'wrk.method = "GET"\nwrk.path = "{path}"\nwrk.headers["Accept"] = "application/json"\n{header}' + WRK_DONE


def create_script(*, path: str, token: str | None, students: list[int], instructors: list[int],
                  aircraft: list[tuple[int, int, str]], origin: datetime, by_icao: bool, threads: int,
                  lesson=timedelta(hours=1), gap=timedelta(hours=2)) -> str:
    """Booking bodies for `path`: the product's endpoint takes airports by ICAO code and lets operations staff
    book outside instructors' hours; the bare create takes the airport's primary key."""
    airports = ",".join(json.dumps(json.dumps(icao)) if by_icao else json.dumps(str(pk)) for _, pk, icao in aircraft)
    return WRK_THREADS + CREATE_LUA % {
        "students": ",".join(map(str, students)), "instructors": ",".join(map(str, instructors)),
        "aircraft": ",".join(str(pk) for pk, _, _ in aircraft), "airports": airports,
        "origin": int(origin.timestamp()), "threads": threads, "gap": int(gap.total_seconds()),
        "lesson": int(lesson.total_seconds()),
        "auth": f', ["Authorization"] = "Bearer {token}"' if token else "", "path": path,
        "extra": ',"override_availability":true' if by_icao else "",
    } + WRK_DONE


def creation_origin(days_ahead: int) -> datetime:
    """Midnight UTC `days_ahead` days from today: inside the two-year booking horizon, clear of the school's
    own (seeded) bookings, and one origin per scenario so the product's and the bare creations never overlap."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=days_ahead)


CLIENT_NICENESS = -10


def _client_priority() -> None:
    """In wrk's process before it starts: run ahead of the server's processes where this user may (root), so a
    client thread waiting for a core on a fully loaded machine does not leave connections idle. Where it may
    not, wrk runs at the server's priority."""
    with contextlib.suppress(PermissionError):
        os.setpriority(os.PRIO_PROCESS, 0, CLIENT_NICENESS)


def run(wrk: str, url: str, script: str, *, name: str, connections: int, threads: int, duration: float,
        timeout: float = 30) -> dict:
    """One wrk run; the same result shape as scripts/load.py's, plus the client's CPU seconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy_before, idle_before = machine_cpu_ticks()
        completed = subprocess.run(
            [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s", "--timeout", f"{timeout:g}s",
             "-s", script_path, url], capture_output=True, text=True, timeout=duration + timeout + 30,
            preexec_fn=_client_priority)  # noqa: PLW1509 - the benchmark starts wrk from one thread
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy_after, idle_after = machine_cpu_ticks()
    finally:
        Path(script_path).unlink(missing_ok=True)
    line = next((x for x in completed.stdout.splitlines() if x.startswith("WRK-JSON ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {(completed.stderr or completed.stdout)[-500:]}")
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds = raw["duration_us"] / 1e6
    socket_errors = {k: raw[k] for k in ("connect", "read", "write", "timeout") if raw[k]}
    ok = raw["requests"] - raw["status"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "scenario": name, "client": "wrk", "connections": connections, "client_threads": threads,
        "seconds": round(seconds, 2), "requests": raw["requests"], "ok": ok,
        "statuses": {"2xx/3xx": ok, "4xx/5xx": raw["status"]} if raw["status"] else {"2xx/3xx": ok},
        "errors": socket_errors, "rps": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1), "p90_ms": round(raw["p90_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1), "max_ms": round(raw["max_us"] / 1000, 1),
        "client_cpu_seconds": round(cpu, 2),
        "client_cpu_ms_per_request": round(cpu * 1000 / max(1, raw["requests"]), 3),
        "machine_idle_share": round((idle_after - idle_before)
                                    / max(1, busy_after - busy_before + idle_after - idle_before), 3),
    }


def machine_cpu_ticks() -> tuple[int, int]:
    """(busy, idle) clock ticks of the whole machine so far, from /proc/stat (iowait counts as idle, steal as
    neither: it is time the machine's hypervisor gave to someone else)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq, idle + iowait


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the given processes have used so far (from /proc; 0 for one that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def wait_until_idle(pids: list[int], *, quiet_cpu: float = 0.02, interval: float = 0.2, limit: float = 10.0) -> float:
    """Wait until the processes use less than `quiet_cpu` CPU seconds in an `interval`: when wrk stops, the server
    is still answering the requests it had queued, and that tail belongs to the slice that sent them, not to the
    next one. Returns the seconds waited (at most `limit`)."""
    started = time.monotonic()
    before = process_cpu_seconds(pids)
    while time.monotonic() - started < limit:
        time.sleep(interval)
        now = process_cpu_seconds(pids)
        if now - before < quiet_cpu:
            break
        before = now
    return time.monotonic() - started
