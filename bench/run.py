"""`make bench`: builds a throwaway PostgreSQL database with the large demo school, then measures

1. the API under load (gunicorn, 32 connections from a separate load generator) beside a bare DRF view,
2. the weather sweep (10,000 bookings, 200 airports, providers on loopback answering after 50 ms),
3. the reschedule solver per held booking,
4. email delivery of 1,000 messages to a loopback SMTP server,

and prints every figure with its baseline from the same run and its target. Results also go to
artifacts/bench.json. The database is dropped at the end, whatever happened.
"""

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SEED = {"students": 300, "instructors": 30, "aircraft": 20, "days": 14}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_url(database_url: str) -> str:
    """The same server as the given URL, pointed at its maintenance database."""
    base, _, _ = database_url.rpartition("/")
    return f"{base}/postgres"


class BenchDatabase:
    def __init__(self, name: str):
        given = os.environ.get("DATABASE_URL", "")
        self.server = server_url(given) if given.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/postgres"
        self.name = name
        self.url = f"{self.server.rpartition('/')[0]}/{name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.server, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self.drop()
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def run(cmd: list[str], env: dict, *, capture: bool = False, timeout: float = 300, check: bool = True) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, timeout=timeout,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    if check and result.returncode != 0 or not (result.stdout or not capture):
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout or ""


class Gunicorn:
    def __init__(self, env: dict, *, workers: int, threads: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The production gunicorn settings (config/gunicorn.py), on loopback, with the sizes this run asks for.
        self.cmd = [str(Path(PYTHON).parent / "gunicorn"), "--config", str(ROOT / "config" / "gunicorn.py"),
                    "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
                    "--threads", str(threads)]
        self.env = env
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.process.stderr.read()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def measure_api(env: dict, *, duration: float, connections: int, workers: int, threads: int) -> dict:
    results = {}
    with Gunicorn(env, workers=workers, threads=threads) as server:
        # Each worker thread imports the URLconf and opens its database connection on its first request
        # (seconds on two cores): that start-up is paid here, unmeasured.
        step("API warm-up: 8 s unmeasured")
        run([PYTHON, "scripts/load.py", "--url", server.url, "--scenario", "health", "--scenario", "bare",
             "--connections", str(connections), "--duration", "3", "--warmup", "1", "--json"],
            env, capture=True, timeout=120, check=False)
        for name in ("bare", "student_list", "admin_list", "create"):
            step(f"API load: {name}, {connections} connections, {duration:.0f} s")
            try:
                out = run([PYTHON, "scripts/load.py", "--url", server.url, "--scenario", name, "--json",
                           "--connections", str(connections), "--duration", str(duration), "--warmup", "2"],
                          env, capture=True, timeout=duration + 120, check=False)
                # A scenario whose answers were all errors still reports them: the table shows the statuses.
                results[name] = json.loads(out.strip().splitlines()[-1])
            except (RuntimeError, ValueError, IndexError) as exc:
                results[name] = {"error": str(exc).strip().splitlines()[-1][:300]}
        results["server"] = {"workers": workers, "threads": threads, "worker_class": "gthread"}
    return results


def measure_module(module: str, env: dict, extra: list[str], timeout: float) -> dict:
    """Each in-process benchmark runs in its own interpreter so one cannot warm the other's caches."""
    out = run([PYTHON, "-m", module, "--json", *extra], env, capture=True, timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    pg = ""
    with contextlib.suppress(OSError):
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": os.cpu_count(), "cpu_model": model or platform.processor(), "memory_gib": memory_gib,
            "python": platform.python_version(), "postgresql_client": pg, "kernel": platform.release()}


def ratio(value, baseline):
    if value is None or not baseline:
        return None
    return round(value / baseline, 2)


def report(results: dict) -> list[str]:
    """One line per figure: value, its baseline from this run, the ratio, the target and whether it is met."""
    lines = []

    def add(figure, value, unit, baseline=None, base_label="", target="", met=None):
        shown = "n/a" if value is None else f"{value:g} {unit}"
        base = f"{baseline:g} {unit} {base_label}" if baseline is not None else ""
        r = ratio(value, baseline)
        verdict = "" if met is None else ("MET" if met else "MISSED")
        lines.append(f"{figure:<44} {shown:>16}  {('x' + format(r, 'g')) if r is not None else '':>7}  "
                     f"{base:<28} {target:<26} {verdict}")

    api = results.get("api") or {}
    bare = api.get("bare") or {}
    for name, label in (("bare", "bare DRF view, 50 rows"), ("student_list", "bookings list, student"),
                        ("admin_list", "bookings list, admin"), ("create", "booking creation")):
        row = api.get(name)
        if not row:
            continue
        if row.get("error"):
            lines.append(f"{'API ' + label:<44} not measured: {row['error']}")
            continue
        base_rps = bare.get("rps") if name != "bare" else None
        met = None
        if name != "bare":
            # Throughput is judged alone (every answer a success); the p99 line carries its own verdict.
            met = bool(row["rps"] >= 0.5 * (bare.get("rps") or 0) and row["ok"] == row["requests"])
        add(f"API {label}: throughput", row["rps"], "req/s", base_rps, "(bare)",
            "" if name == "bare" else ">= 0.5 x bare", met)
        add(f"API {label}: p50", row["p50_ms"], "ms", bare.get("p50_ms") if name != "bare" else None, "(bare)")
        add(f"API {label}: p99", row["p99_ms"], "ms", bare.get("p99_ms") if name != "bare" else None, "(bare)",
            "" if name == "bare" else "< 100 ms", None if name == "bare" else (row["p99_ms"] or 1e9) < 100)
        if row["ok"] != row["requests"] or row["errors"]:
            lines.append(f"    {label}: statuses {row['statuses']} errors {row['errors']}")

    sweep = results.get("sweep") or {}
    if sweep.get("error"):
        lines.append(f"{'Weather sweep':<44} not measured: {sweep['error']}")
    for size in sweep.get("sizes", []):
        if size.get("repeat"):
            add(f"Weather sweep {size['bookings']} again (no change): wall", size["seconds"], "s",
                sweep.get("floor_seconds"), "(bare fetch)", "< 10 s", size["seconds"] < 10)
            add(f"Weather sweep {size['bookings']} again: queries", size["queries"], "",
                sweep["sizes"][0]["queries"], f"(at {sweep['sizes'][0]['bookings']})", "flat with bookings")
            continue
        add(f"Weather sweep {size['bookings']} bookings: wall", size["seconds"], "s", sweep.get("floor_seconds"),
            "(bare fetch)", "< 10 s", size["seconds"] < 10 if size["bookings"] >= 10000 else None)
        add(f"Weather sweep {size['bookings']} bookings: requests", size["provider_requests"], "",
            size["expected_requests"], "(locations x providers)", "= locations x providers",
            size["provider_requests"] == size["expected_requests"])
        add(f"Weather sweep {size['bookings']} bookings: queries", size["queries"], "",
            sweep["sizes"][0]["queries"], f"(at {sweep['sizes'][0]['bookings']})", "flat with bookings")
    if len(sweep.get("sizes", [])) >= 2:
        small, large = sweep["sizes"][0], sweep["sizes"][1]
        growth = large["queries"] / max(1, small["queries"])
        lines.append(f"    queries grew x{growth:.2f} while bookings grew x{large['bookings'] / small['bookings']:.0f}"
                     f" ({'flat' if growth < 1.5 else 'NOT flat'})")

    solver = results.get("solver") or {}
    if solver.get("error"):
        lines.append(f"{'Reschedule solver':<44} not measured: {solver['error']}")
    elif solver:
        add(f"Solver per held booking ({solver['bookings']}): p50", solver["p50_ms"], "ms",
            solver.get("baseline_p50_ms"), "(free_intervals)")
        add(f"Solver per held booking ({solver['bookings']}): p95", solver["p95_ms"], "ms",
            solver.get("baseline_p95_ms"), "(free_intervals)", "< 100 ms", solver["p95_ms"] < 100)

    mail = results.get("delivery") or {}
    if mail.get("error"):
        lines.append(f"{'Email delivery':<44} not measured: {mail['error']}")
    elif mail:
        add("Email delivery: throughput", mail["messages_per_second"], "msg/s", mail.get("bare_messages_per_second"),
            "(bare smtplib)")
        add("Email delivery: received", mail["received"], "", mail["expected"], "(sent)", "exactly 1000",
            mail["received"] == mail["expected"] == 1000 and mail.get("duplicates", 0) == 0)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks on this machine, against a throwaway database.")
    parser.add_argument("--database", default="fsp_bench")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per API scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "2")))
    parser.add_argument("--only", action="append", choices=["api", "sweep", "solver", "delivery"])
    parser.add_argument("--output", default=str(ROOT / "artifacts" / "bench.json"))
    args = parser.parse_args(argv)
    parts = args.only or ["api", "sweep", "solver", "delivery"]

    started = time.monotonic()
    database = BenchDatabase(args.database)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": database.url,
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    results: dict = {"machine": machine(), "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        step(f"database {args.database}: create, migrate, seed_demo " +
             " ".join(f"--{k} {v}" for k, v in SEED.items()))
        database.create()
        run([PYTHON, "manage.py", "migrate", "--no-input"], env, timeout=300)
        seeded_at = time.monotonic()
        run([PYTHON, "manage.py", "seed_demo", *[x for k, v in SEED.items() for x in (f"--{k}", str(v))]],
            env, timeout=600)
        results["seed_seconds"] = round(time.monotonic() - seeded_at, 1)
        if "api" in parts:
            results["api"] = measure_api(env, duration=args.duration, connections=args.connections,
                                         workers=args.workers, threads=args.threads)
        # The solver runs before the sweep: it measures the large school, and the sweep then adds its own
        # world (250 more aircraft, 10,000 solo bookings, a fake provider's forecasts) to the same database.
        for part, module, timeout in (("solver", "bench.solver", 180), ("sweep", "bench.sweep", 240),
                                      ("delivery", "bench.delivery", 180)):
            if part in parts:
                step(part)
                try:
                    results[part] = measure_module(module, env, [], timeout)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as exc:
                    results[part] = {"error": str(exc).strip().splitlines()[-1][:300]}
    finally:
        step(f"database {args.database}: drop")
        database.drop()
    results["total_seconds"] = round(time.monotonic() - started, 1)

    print()
    print(f"Machine: {results['machine']['cpus']} CPUs ({results['machine']['cpu_model']}), "
          f"{results['machine']['memory_gib']} GiB, Python {results['machine']['python']}")
    print(f"{'figure':<44} {'value':>16}  {'ratio':>7}  {'baseline (same run)':<28} {'target':<26}")
    for line in report(results):
        print(line)
    print(f"Total {results['total_seconds']} s (seeding {results.get('seed_seconds')} s).")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
