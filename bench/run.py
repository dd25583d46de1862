"""`make bench`: builds a throwaway PostgreSQL database with the large demo school, then measures

1. the API under load (gunicorn, 32 connections from a separate load generator) beside a bare DRF view,
2. the weather sweep (10,000 bookings, 200 airports, providers on loopback answering after 50 ms),
3. the reschedule solver per held booking, and the whole options-on-demand request for held flights,
4. email delivery of 1,000 messages to a loopback SMTP server (three rounds),

and prints every figure with its baseline from the same run and its target. Results also go to
artifacts/bench.json. The database is dropped at the end, whatever happened.
"""

import argparse
import base64
import contextlib
import json
import os
import platform
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from statistics import median

import psycopg

from bench import wrk as bench_wrk

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEMO_PASSWORD = "fly-safe-2026"
LOAD_STUDENT = "load.student0000@demo.flightschedule.pro"
LOAD_ADMIN = "ops@demo.flightschedule.pro"
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

    def settle(self) -> None:
        """VACUUM ANALYZE and a CHECKPOINT: the planner's statistics and the visibility map as autovacuum keeps
        them on a database in use, rather than just after thousands of rows were written, and autovacuum's pass
        and the checkpoint's writes done now rather than during the next measurement. CHECKPOINT needs a
        superuser (or pg_checkpoint): without one it is left to the server."""
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("VACUUM ANALYZE")
            with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
                conn.execute("CHECKPOINT")


def step(title: str) -> None:
    print(f"-- {title}", flush=True)


def run(cmd: list[str], env: dict, *, capture: bool = False, timeout: float = 300, check: bool = True) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, text=True, timeout=timeout,
                            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
    if check and result.returncode != 0 or not (result.stdout or not capture):
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout or ""


GUNICORN_CONFIG = ROOT / "config" / "gunicorn.py"


def gunicorn_settings(workers: int | None, threads: int | None) -> dict:
    """What config/gunicorn.py gives on this machine (with WEB_CONCURRENCY / GUNICORN_THREADS if set), unless the
    run names its own sizes."""
    config = runpy.run_path(str(GUNICORN_CONFIG))
    return {"config": "config/gunicorn.py", "worker_class": config["worker_class"],
            "workers": workers or config["workers"], "threads": threads or config["threads"],
            "keepalive": config["keepalive"], "accesslog": config["accesslog"]}


class Gunicorn:
    def __init__(self, env: dict, *, workers: int | None = None, threads: int | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The production gunicorn settings (config/gunicorn.py) on loopback; sizes only when the run names them.
        self.cmd = [str(Path(PYTHON).parent / "gunicorn"), "--config", str(GUNICORN_CONFIG),
                    "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
        if workers:
            self.cmd += ["--workers", str(workers)]
        if threads:
            self.cmd += ["--threads", str(threads)]
        self.env = env
        self.process = None
        # The server's log goes to a file (a pipe nobody reads would stall it), counted per scenario.
        self.log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives as long as the server, closed in __exit__

    def log_lines(self) -> int:
        self.log.flush()
        self.log.seek(0)
        return sum(1 for _ in self.log)

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read()[-2000:]

    def __enter__(self):
        self.process = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log,
                                        text=True, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 60 s")

    def pids(self) -> list[int]:
        """The master and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [self.process.pid, *map(int, children.read_text().split())]
        except OSError:
            return [self.process.pid]

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def http_json(method: str, url: str, body: dict | None = None, token: str | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/json",
        **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


def staff_otp_code(env: dict, email: str) -> str:
    """Enrol a fresh TOTP device for a staff account as an operator would (`manage.py enrol_totp_device`) and the
    code an authenticator shows now for the otpauth:// link it printed: production settings, which the benchmark
    serves, ask operations staff for one at sign-in (ADMIN_REQUIRE_OTP)."""
    from urllib.parse import parse_qs, urlsplit

    from django_otp.oath import totp

    output = run([PYTHON, "manage.py", "enrol_totp_device", email, "--replace"], env, capture=True, timeout=60)
    link = next((word for word in output.split() if word.startswith("otpauth://totp/")), None)
    if link is None:
        raise RuntimeError(f"enrol_totp_device printed no otpauth:// link: {output[-500:]}")
    query = parse_qs(urlsplit(link).query)
    secret = query["secret"][0]
    digits = int(query.get("digits", ["6"])[0])
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, step=int(query.get('period', ['30'])[0]), digits=digits):0{digits}d}"


def sign_in(base: str, email: str, otp_token: str | None = None) -> str:
    body = {"email": email, "password": DEMO_PASSWORD, **({"otp_token": otp_token} if otp_token else {})}
    status, payload = http_json("POST", f"{base}/api/v1/auth/login/", body)
    if status != 200:
        raise RuntimeError(f"could not sign in as {email}: HTTP {status} {payload}")
    return payload["access"]


def creation_parties(database_url: str) -> dict:
    """Who and what the creation scenarios book: active students and instructors, available aircraft with their
    home airport (primary key and ICAO code)."""
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        people = {role: [r[0] for r in conn.execute(
            "SELECT id FROM accounts_user WHERE role = %s AND is_active ORDER BY id", [role])]
            for role in ("student", "instructor")}
        aircraft = [tuple(r) for r in conn.execute(
            "SELECT a.id, p.id, p.icao FROM bookings_aircraft a JOIN bookings_airport p ON p.id = a.home_airport_id"
            " WHERE a.status = 'available' ORDER BY a.id")]
    return {"students": people["student"], "instructors": people["instructor"], "aircraft": aircraft}


def bookings_between(database_url: str, start, end) -> int:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        return conn.execute('SELECT count(*) FROM bookings_booking WHERE start >= %s AND start < %s',
                            [start, end]).fetchone()[0]


# Where each creation scenario books: far apart, so neither can meet the other or the seeded school; each round
# ROUND_DAYS later (a round of either books well under a week).
CREATE_ORIGIN_DAYS = {"create": 120, "bare_create": 420}
ROUND_DAYS = 20


def combine_slices(rows: list[dict]) -> dict:
    """One scenario's interleaved slices as one result."""
    seconds = sum(r["seconds"] for r in rows)
    requests = sum(r["requests"] for r in rows)
    ok = sum(r["ok"] for r in rows)
    errors: dict = {}
    for r in rows:
        for key, value in r["errors"].items():
            errors[key] = errors.get(key, 0) + value
    client_cpu = sum(r["client_cpu_seconds"] for r in rows)
    server_cpu = sum(r["server_cpu_seconds"] for r in rows)
    p50s = sorted(r["p50_ms"] for r in rows)
    return {
        "scenario": rows[0]["scenario"], "client": "wrk", "connections": rows[0]["connections"],
        "client_threads": rows[0]["client_threads"], "slices": len(rows), "seconds": round(seconds, 2),
        "requests": requests, "ok": ok, "statuses": {"2xx/3xx": ok, "4xx/5xx": requests - ok} if requests - ok
        else {"2xx/3xx": ok}, "errors": errors, "rps": round(requests / seconds, 1),
        "slice_rps": [r["rps"] for r in rows],
        "slice_server_cpu_ms_per_request": [round(r["server_cpu_seconds"] * 1000 / max(1, r["requests"]), 2)
                                            for r in rows],
        "slice_machine_idle": [r["machine_idle_share"] for r in rows], "p50_ms": p50s[len(p50s) // 2],
        "p99_ms": max(r["p99_ms"] for r in rows), "max_ms": max(r["max_ms"] for r in rows),
        "client_cpu_seconds": round(client_cpu, 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / max(1, requests), 3),
        "server_cpu_seconds": round(server_cpu, 2),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / max(1, requests), 3),
        "server_log_lines_per_request": round(sum(r["server_log_lines"] for r in rows) / max(1, requests), 2),
    }


def measure_api(env: dict, *, duration: float, connections: int, workers: int | None, threads: int | None,
                client_threads: int, rounds: int = 3, settle=None) -> dict:
    wrk_path = bench_wrk.find_wrk()
    if wrk_path is None:
        print("   wrk not found (scripts/bench.sh installs it with apt-get): falling back to scripts/load.py, a "
              "Python client that shares the cores with the server and squeezes every ratio towards 1", flush=True)
        return measure_api_with_load_py(env, duration=duration, connections=connections, workers=workers,
                                        threads=threads)
    results = {}
    server_settings = {"django_settings": env["DJANGO_SETTINGS_MODULE"], **gunicorn_settings(workers, threads),
                       "log_level": env.get("LOG_LEVEL", "INFO (production default)")}
    with Gunicorn(env, workers=workers, threads=threads) as server:
        student = sign_in(server.url, LOAD_STUDENT)
        admin = sign_in(server.url, LOAD_ADMIN, staff_otp_code(env, LOAD_ADMIN))
        page = "/api/v1/bookings/?page_size=50"
        parties = creation_parties(env["DATABASE_URL"])
        scripts = {
            "bare": bench_wrk.fixed_script("/bench/bare/", None),
            "student_list": bench_wrk.fixed_script(page, student),
            "admin_list": bench_wrk.fixed_script(page, admin),
        }
        targets = {"bare_create": ("/bench/bare-create/", None, False), "create": ("/api/v1/bookings/", admin, True)}

        def creation_script(name: str, round_number: int) -> str:
            path, token, by_icao = targets[name]
            origin = bench_wrk.creation_origin(CREATE_ORIGIN_DAYS[name] + ROUND_DAYS * round_number)
            return bench_wrk.create_script(
                path=path, token=token, students=parties["students"], instructors=parties["instructors"],
                aircraft=parties["aircraft"], origin=origin, by_icao=by_icao, threads=client_threads)
        # Each worker thread imports the URLconf and opens its database connection on its first request
        # (seconds on two cores): that start-up is paid here, unmeasured, on every read scenario.
        step("API warm-up: 2 s per read scenario, unmeasured")
        for name in ("bare", "student_list", "admin_list"):
            bench_wrk.run(wrk_path, server.url, scripts[name], name=name, connections=connections,
                          threads=client_threads, duration=2)
        # Interleaved rounds: every scenario runs `rounds` slices of duration / rounds, in turn with the others,
        # so a baseline and its figure see the same background load on a shared machine. Requests and seconds
        # add up over the slices; p50 is the median slice's, p99 the worst slice's.
        plan = [("bare_1_client_thread", "bare", 1), ("bare", "bare", client_threads),
                ("student_list", "student_list", client_threads), ("admin_list", "admin_list", client_threads),
                ("bare_create", "bare_create", client_threads), ("create", "create", client_threads)]
        slices: dict[str, list[dict]] = {label: [] for label, _, _ in plan}
        for round_number in range(rounds):
            for label, name, wrk_threads in plan:
                step(f"API load, round {round_number + 1}/{rounds}: {label}, {connections} connections, "
                     f"wrk -t{wrk_threads}, {duration / rounds:g} s")
                # Each round of a creation books its own weeks: its request counter starts again at 0.
                script = creation_script(name, round_number) if name in targets else scripts[name]
                server_cpu = bench_wrk.process_cpu_seconds(server.pids())
                log_lines = server.log_lines()
                try:
                    row = bench_wrk.run(wrk_path, server.url, script, name=label, connections=connections,
                                        threads=wrk_threads, duration=duration / rounds)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    results[label] = {"error": str(exc).strip().splitlines()[-1][:300]}
                    continue
                # The server's CPU for the slice includes answering what was still queued when wrk stopped.
                row["settle_seconds"] = round(bench_wrk.wait_until_idle(server.pids()), 2)
                row["server_cpu_seconds"] = bench_wrk.process_cpu_seconds(server.pids()) - server_cpu
                row["server_log_lines"] = server.log_lines() - log_lines
                slices[label].append(row)
                if name in targets and settle is not None:
                    # A creation slice leaves hundreds of new rows and dirty pages: VACUUM ANALYZE and a
                    # CHECKPOINT now, unmeasured, rather than autovacuum and the writeback in the next slice.
                    settle()
                print(f"   {row['rps']} req/s, p50 {row['p50_ms']} ms, p99 {row['p99_ms']} ms, "
                      f"{row['requests'] - row['ok']} non-2xx, client CPU {row['client_cpu_ms_per_request']} "
                      f"ms/req, server CPU {row['server_cpu_seconds'] * 1000 / max(1, row['requests']):.3f} ms/req, "
                      f"machine idle {row['machine_idle_share']:.0%}, "
                      f"idle again {row['settle_seconds']} s after wrk stopped",
                      flush=True)
        for label, name, _ in plan:
            if label in results or not slices[label]:
                continue
            row = combine_slices(slices[label])
            if name.endswith("create"):
                # Every 2xx answer is a row in the table, and nothing else is: the count shows it.
                origin = bench_wrk.creation_origin(CREATE_ORIGIN_DAYS[name])
                row["rows_created"] = bookings_between(env["DATABASE_URL"], origin, origin + timedelta(days=200))
            results[label] = row
        results["server"] = server_settings
        results["client"] = {"name": "wrk", "threads": client_threads, "connections": connections, "rounds": rounds}
    return results


def measure_api_with_load_py(env: dict, *, duration: float, connections: int, workers, threads) -> dict:
    results = {}
    with Gunicorn(env, workers=workers, threads=threads) as server:
        step("API warm-up: 4 s unmeasured")
        run([PYTHON, "scripts/load.py", "--url", server.url, "--scenario", "health", "--scenario", "bare",
             "--connections", str(connections), "--duration", "3", "--warmup", "1", "--json"],
            env, capture=True, timeout=120, check=False)
        for name in ("bare", "student_list", "admin_list", "create"):
            step(f"API load: {name}, {connections} connections, {duration:.0f} s (scripts/load.py)")
            try:
                out = run([PYTHON, "scripts/load.py", "--url", server.url, "--scenario", name, "--json",
                           "--connections", str(connections), "--duration", str(duration), "--warmup", "2"],
                          env, capture=True, timeout=duration + 120, check=False)
                results[name] = json.loads(out.strip().splitlines()[-1])
            except (RuntimeError, ValueError, IndexError) as exc:
                results[name] = {"error": str(exc).strip().splitlines()[-1][:300]}
        results["server"] = {"django_settings": env["DJANGO_SETTINGS_MODULE"], **gunicorn_settings(workers, threads)}
        results["client"] = {"name": "scripts/load.py (wrk not installed)", "connections": connections}
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

    def add(figure, value, unit, baseline=None, base_label="", target="", met=None, shown_ratio=None):
        shown = "n/a" if value is None else f"{value:g} {unit}"
        base = f"{baseline:g} {unit} {base_label}" if baseline is not None else ""
        r = shown_ratio if shown_ratio is not None else ratio(value, baseline)
        verdict = "" if met is None else ("MET" if met else "MISSED")
        lines.append(f"{figure:<44} {shown:>16}  {('x' + format(r, 'g')) if r is not None else '':>7}  "
                     f"{base:<28} {target:<26} {verdict}")

    api = results.get("api") or {}
    server, client = api.get("server") or {}, api.get("client") or {}
    if server:
        lines.append(f"Server, both sides: DJANGO_SETTINGS_MODULE={server.get('django_settings')} (production "
                     f"settings, plain HTTP on loopback), gunicorn {server.get('config')}: {server.get('workers')} "
                     f"{server.get('worker_class')} workers x {server.get('threads')} threads, LOG_LEVEL "
                     f"{server.get('log_level', 'INFO')}; client {client.get('name')} "
                     f"({client.get('threads', '-')} threads, {client.get('connections')} connections)")
    bare, bare_create = api.get("bare") or {}, api.get("bare_create") or {}
    one = api.get("bare_1_client_thread") or {}
    if one.get("rps") and bare.get("rps"):
        # A client that caps the rate leaves the server waiting for requests: the machine has idle CPU while
        # the one-thread client drives it, and a second client thread raises the rate. Neither shows when the
        # machine is busy throughout; a slower slice beside a busy machine is the machine's cores giving less
        # (its server CPU per request rises with it), not the client (the slices and their figures are printed).
        one_median, bare_median = median(one["slice_rps"]), median(bare["slice_rps"])
        one_idle = median(one.get("slice_machine_idle") or [1.0])
        add("Client check: bare view, wrk -t1 (median slice)", one_median, "req/s")
        threads = client.get("threads")
        for label, row in (("-t1", one), (f"-t{threads}", bare)):
            lines.append(f"    slices wrk {label}: " + "; ".join(
                f"{rps:g} req/s, server {cpu:g} ms/req, machine idle {idle:.0%}" for rps, cpu, idle in zip(
                    row["slice_rps"], row.get("slice_server_cpu_ms_per_request") or [],
                    row.get("slice_machine_idle") or [], strict=False)))
        add("Client check: machine idle under wrk -t1 (median slice)", round(one_idle * 100, 1), "%",
            target="<= 5 % (server side busy)", met=one_idle <= 0.05)
        add(f"Client check: bare view, wrk -t{threads} (median slice)", bare_median, "req/s",
            one_median, "(wrk -t1)", "not > 15% above -t1", bare_median <= 1.15 * one_median)
        add("Client CPU per request (wrk)", bare.get("client_cpu_ms_per_request"), "ms",
            bare.get("server_cpu_ms_per_request"), "(server's)", "< 0.1 x server's",
            (bare.get("client_cpu_ms_per_request") or 1) < 0.1 * (bare.get("server_cpu_ms_per_request") or 0))
    for name, label, base, base_label in (
            ("bare", "bare DRF view, 50 rows", None, ""),
            ("student_list", "bookings list, student", bare, "(bare view)"),
            ("admin_list", "bookings list, staff", bare, "(bare view)"),
            ("bare_create", "bare DRF create (ModelSerializer)", None, ""),
            ("create", "booking creation", bare_create, "(bare create)")):
        row = api.get(name)
        if not row:
            continue
        if row.get("error"):
            lines.append(f"{'API ' + label:<44} not measured: {row['error']}")
            continue
        all_ok = row["ok"] == row["requests"] and not row["errors"]
        met = None if base is None else bool(row["rps"] >= 0.5 * (base.get("rps") or 0) and all_ok)
        add(f"API {label}: throughput", row["rps"], "req/s", base.get("rps") if base else None, base_label,
            "" if base is None else ">= 0.5 x baseline", met)
        if base is None:
            add(f"API {label}: p99", row["p99_ms"], "ms")
        else:
            p99_met = row["p99_ms"] <= 2 * (base.get("p99_ms") or 0) if name.endswith("list") else None
            add(f"API {label}: p99", row["p99_ms"], "ms", base.get("p99_ms"), base_label,
                "<= 2 x baseline p99" if name.endswith("list") else "", p99_met)
        if not all_ok:
            lines.append(f"    {label}: statuses {row['statuses']} errors {row['errors']}")
        if name.endswith("create") and "rows_created" in row:
            lines.append(f"    {label}: {row['ok']} answered 201 in the measured window, {row['rows_created']} rows "
                         "in the table (the rest answered after wrk stopped counting)")

    sweep = results.get("sweep") or {}
    if sweep.get("error"):
        lines.append(f"{'Weather sweep':<44} not measured: {sweep['error']}")
    floor = sweep.get("floor_seconds")
    for size in sweep.get("sizes", []):
        large = size["bookings"] >= 10000
        if size.get("repeat"):
            add(f"Weather sweep {size['bookings']} again (no change)", size["seconds"], "s", floor, "(bare fetch)",
                "<= 1.5 x bare fetch", size["seconds"] <= 1.5 * floor)
            add(f"Weather sweep {size['bookings']} again: queries", size["queries"], "",
                sweep["sizes"][0]["queries"], f"(at {sweep['sizes'][0]['bookings']})", "flat with bookings")
            continue
        add(f"Weather sweep {size['bookings']} bookings, first sight", size["seconds"], "s", floor, "(bare fetch)",
            "<= 2 x bare fetch" if large else "", size["seconds"] <= 2 * floor if large else None)
        add(f"Weather sweep {size['bookings']} bookings: requests", size["provider_requests"], "",
            size["expected_requests"], "(expected)", "= locations x providers",
            size["provider_requests"] == size["expected_requests"])
        add(f"Weather sweep {size['bookings']} bookings: queries", size["queries"], "",
            sweep["sizes"][0]["queries"], f"(at {sweep['sizes'][0]['bookings']})", "flat with bookings")
    if len(sweep.get("sizes", [])) >= 2:
        small, large = sweep["sizes"][0], sweep["sizes"][1]
        growth = large["queries"] / max(1, small["queries"])
        lines.append(f"    queries grew x{growth:.2f} while bookings grew x{large['bookings'] / small['bookings']:.0f}"
                     f" ({'flat' if growth < 1.5 else 'NOT flat'})")
    # Each shard must fit a 512 MB Lambda (about 0.29 of a vCPU): 30 s of wall time buy about 8.7 s of CPU.
    for label, run in (sweep.get("shards") or {}).items():
        words = "first sight" if label == "first_sight" else "again, no change"
        for shard in run.get("per_shard", []):
            name = f"Shard {shard['shard']} ({shard['bookings']} bk, {shard['airports']} apt), {words}"
            add(f"{name}: CPU", shard["cpu_seconds"], "s", target="<= 8 s (512 MB Lambda)",
                met=shard["cpu_seconds"] <= 8)
            add(f"{name}: wall", shard["wall_seconds"], "s", target="<= 25 s", met=shard["wall_seconds"] <= 25)
    if sweep.get("phases_unchanged_sweep"):
        lines.append("    one more unchanged sweep, seconds by phase: " + ", ".join(
            f"{name} {seconds:g}" for name, seconds in sweep["phases_unchanged_sweep"].items()))

    solver = results.get("solver") or {}
    if solver.get("error"):
        lines.append(f"{'Reschedule solver':<44} not measured: {solver['error']}")
    elif solver:
        add(f"Solver per held booking ({solver['bookings']}): p50", solver["p50_ms"], "ms",
            solver.get("baseline_p50_ms"), "(free_intervals)")
        add(f"Solver per held booking ({solver['bookings']}): p95", solver["p95_ms"], "ms",
            solver.get("baseline_p95_ms"), "(free_intervals)", "< 100 ms", solver["p95_ms"] < 100)

    options = results.get("options") or {}
    if options.get("error"):
        lines.append(f"{'Options on demand':<44} not measured: {options['error']}")
    elif options:
        all_created = options["statuses"] == {"201": options["requests"]}
        add(f"Options on demand ({options['requests']}): p50", options["p50_ms"], "ms",
            options.get("solver_p50_ms"), "(solver alone)")
        add(f"Options on demand ({options['requests']}): p95", options["p95_ms"], "ms",
            options.get("solver_p95_ms"), "(solver alone)", "<= 120 ms, all 201",
            options["p95_ms"] <= 120 and all_created)
        lines.append(f"    options on demand: statuses {options['statuses']}, {options['claude_calls']} calls to "
                     f"Claude, sources {options['option_sources']}, {options['emails_received']} emails received, "
                     f"queries per request {options['queries_per_request']}")

    mail = results.get("delivery") or {}
    if mail.get("error"):
        lines.append(f"{'Email delivery':<44} not measured: {mail['error']}")
    elif mail:
        add("Email delivery: throughput", mail["messages_per_second"], "msg/s", mail.get("bare_messages_per_second"),
            "(bare smtplib)", ">= 0.5 x bare smtplib",
            mail["messages_per_second"] >= 0.5 * (mail.get("bare_messages_per_second") or 0))
        if mail.get("rounds"):
            lines.append("    rounds (delivery / bare smtplib, msg/s): " + "; ".join(
                f"{r['messages_per_second']:g} / {r['bare_messages_per_second']:g}" for r in mail["rounds"]))
        expected = 1000 * len(mail.get("rounds") or [None])  # a result from before the rounds had one
        add("Email delivery: received", mail["received"], "", mail["expected"], "(sent)",
            f"exactly {expected}, 0 duplicates",
            mail["received"] == mail["expected"] == expected and mail.get("duplicates", 0) == 0)
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks on this machine, against a throwaway database.")
    parser.add_argument("--database", default="fsp_bench")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per API scenario")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "0")) or None,
                        help="gunicorn processes (default: what config/gunicorn.py gives, 2 per core)")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "0")) or None,
                        help="gunicorn threads per process (default: config/gunicorn.py's)")
    parser.add_argument("--client-threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved slices per API scenario")
    parser.add_argument("--only", action="append", choices=["api", "sweep", "solver", "options", "delivery"])
    parser.add_argument("--output", default=str(ROOT / "artifacts" / "bench.json"))
    args = parser.parse_args(argv)
    parts = args.only or ["api", "sweep", "solver", "options", "delivery"]

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
        step(f"database {args.database}: VACUUM ANALYZE, CHECKPOINT after seeding")
        database.settle()
        if "api" in parts:
            # The API is served at production's log level: whatever production writes per request is paid here.
            results["api"] = measure_api({**env, "LOG_LEVEL": "INFO"}, duration=args.duration,
                                         connections=args.connections, workers=args.workers,
                                         threads=args.threads, client_threads=args.client_threads,
                                         rounds=max(1, args.rounds), settle=database.settle)
            # The creation scenarios wrote thousands of bookings and audit rows the parts below would otherwise
            # meet with stale statistics and autovacuum working beside them.
            step(f"database {args.database}: VACUUM ANALYZE, CHECKPOINT after the API's writes")
            database.settle()
        # The solver and options on demand run before the sweep: they measure the large school (options on demand
        # after the solver, since it puts flights on hold), and the sweep then adds its own
        # world (250 more aircraft, 10,000 solo bookings, a fake provider's forecasts) to the same database.
        for part, module, timeout in (("solver", "bench.solver", 180), ("options", "bench.options", 180),
                                      ("sweep", "bench.sweep", 420), ("delivery", "bench.delivery", 180)):
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
