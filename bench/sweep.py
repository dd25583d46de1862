"""The weather sweep: 10,000 bookings over 48 hours at 200 airports, the three real providers (aviationweather's
METARs and TAFs, OpenWeatherMap, WeatherAPI.com) on loopback answering after 50 ms, served from a process of
their own as real providers answer from elsewhere. Measured at 1,000 and at
10,000 bookings (same airports) to show that provider requests follow the locations and database queries do not
follow the bookings. The baseline is the same number of requests sent
straight to the same fake providers with the same concurrency: the floor no monitor can beat."""

from bench.common import counting_queries, finish, setup_django

setup_django()

import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from datetime import timedelta  # noqa: E402

import airportsdata  # noqa: E402
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, TrainingLevel, User  # noqa: E402
from bookings.models import Aircraft, Airport, Booking  # noqa: E402
from tests.http_fake import FakeHTTPServer  # noqa: E402
from weather.tests import payloads  # noqa: E402

AIRPORTS = 200
BOOKINGS = 10_000
SMALL = 1_000
FLEET = 250  # aircraft and solo students: 40 one-hour slots each over the 48 hours
PROVIDER_DELAY = 0.05
PROVIDERS = ["aviationweather", "openweathermap", "weatherapi"]
HOURLY = ["openweathermap", "weatherapi"]  # one request per location each
AWC_BATCH = 50  # airports per METAR (and per TAF) request, as weather.providers.aviationweather asks


def pick_airports(count: int) -> list[Airport]:
    known = airportsdata.load("ICAO")
    codes = sorted(code for code, row in known.items()
                   if row["country"] == "US" and len(code) == 4 and code.startswith("K") and code.isalpha()
                   and row["tz"])[:count * 3:3]
    rows = [Airport(icao=code, name=known[code]["name"][:200], city=known[code]["city"][:100], country="US",
                    latitude=known[code]["lat"], longitude=known[code]["lon"],
                    elevation_ft=known[code]["elevation"] or 0, time_zone=known[code]["tz"]) for code in codes]
    Airport.objects.bulk_create(rows, ignore_conflicts=True)
    return list(Airport.objects.filter(icao__in=codes).order_by("icao"))


def build_fleet(airports: list[Airport]) -> tuple[list[User], list[Aircraft]]:
    password = User.objects.filter(email__startswith="load.student").values_list("password", flat=True).first() or "!"
    students = User.objects.bulk_create(
        [User(email=f"sweep.solo{i:03d}@bench.test", role=Role.STUDENT, password=password,
              training_level=TrainingLevel.PRIVATE_PILOT, time_zone="UTC") for i in range(FLEET)])
    planes = Aircraft.objects.bulk_create(
        [Aircraft(tail_number=f"N{i:03d}SW", model="Cessna 172S", home_airport=airports[i % len(airports)])
         for i in range(FLEET)])
    return students, planes


def add_bookings(*, first: int, last: int, start, students, planes, airports) -> None:
    """Solo local flights of one hour; booking k uses student and aircraft k mod FLEET in hour k // FLEET,
    so no two overlap, and departs from airport k mod AIRPORTS, so every airport has flights."""
    rows = []
    for k in range(first, last):
        begin = start + timedelta(hours=k // FLEET)
        airport = airports[k % len(airports)]
        rows.append(Booking(student=students[k % FLEET], instructor=None, aircraft=planes[k % FLEET],
                            departure_airport=airport, destination_airport=airport, start=begin,
                            end=begin + timedelta(hours=1), lesson_type="solo"))
    Booking.objects.bulk_create(rows, batch_size=2000)


class ProvidersProcess:
    """The fake providers served from a process of their own, as real providers answer from machines of their
    own: building and serialising their answers (WeatherAPI's are 50 kB each) must not take the monitor's
    interpreter lock. The monitor and the floor's client both talk to this one server. `requests` counts what it
    received."""

    def __init__(self, now):
        import multiprocessing

        from django.db import connections

        connections.close_all()  # the child is forked: it must not share the parent's database connection
        self._conn, child = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(target=self._serve, args=(child, now),
                                                                    daemon=True)
        self._process.start()
        self.url = self._conn.recv()

    @staticmethod
    def _serve(conn, now) -> None:
        with FakeHTTPServer() as server:
            fake_providers(server, now)
            conn.send(server.url)
            while conn.recv() == "count":
                conn.send(len(server.requests))

    @property
    def requests(self) -> int:
        self._conn.send("count")
        return self._conn.recv()

    def __enter__(self):
        settings.OPENWEATHERMAP_BASE_URL = settings.WEATHERAPI_BASE_URL = settings.AVIATIONWEATHER_BASE_URL = self.url
        settings.OPENWEATHERMAP_API_KEY, settings.WEATHERAPI_COM_KEY = "bench-owm", "bench-wapi"
        settings.WEATHER_PROVIDERS = PROVIDERS
        return self

    def __exit__(self, *exc):
        self._conn.send("stop")
        self._process.join(timeout=10)


def fake_providers(server: FakeHTTPServer, now) -> None:
    def owm(request):
        return 200, payloads.owm_onecall(float(request.query["lat"]), float(request.query["lon"]), start=now)

    def wapi(request):
        lat, lon = (float(v) for v in request.query["q"].split(","))
        return 200, payloads.weatherapi_forecast(lat, lon, start=now)

    issued = now.replace(minute=0, second=0, microsecond=0) - timedelta(minutes=20)

    def day_hour(moment) -> str:
        return moment.strftime("%d%H")

    def metar(request):
        # A real METAR per airport (avwx parses each), observed 20 minutes ago.
        return 200, [payloads.awc_metar(icao, f"{icao} {issued:%d%H%M}Z 31008KT 10SM FEW040 18/08 A3001", issued)
                     for icao in request.query["ids"].split(",")]

    def taf(request):
        start, end = issued + timedelta(minutes=20), issued + timedelta(hours=30, minutes=20)
        change = start + timedelta(hours=8)
        raws = {icao: (f"TAF {icao} {issued:%d%H%M}Z {day_hour(start)}/{day_hour(end)} 31008KT P6SM FEW040 "
                       f"FM{change:%d%H%M} 29012G18KT P6SM SCT050 BKN250")
                for icao in request.query["ids"].split(",")}
        return 200, [payloads.awc_taf(icao, raw, issued, start, end) for icao, raw in raws.items()]

    server.route("GET", "/data/3.0/onecall", owm, delay=PROVIDER_DELAY)
    server.route("GET", "/v1/forecast.json", wapi, delay=PROVIDER_DELAY)
    server.route("GET", "/api/data/metar", metar, delay=PROVIDER_DELAY)
    server.route("GET", "/api/data/taf", taf, delay=PROVIDER_DELAY)


def bare_fetch_seconds(server: ProvidersProcess, requests_count: int) -> float:
    """The same number of HTTP round trips to the same fake, same concurrency, nothing else."""
    url = f"{server.url}/data/3.0/onecall"

    def one(i):
        return len(requests.get(url, params={"lat": 37 + i / 1000, "lon": -122, "appid": "bench"}, timeout=10).content)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=settings.WEATHER_MAX_CONCURRENT_REQUESTS) as pool:
        list(pool.map(one, range(requests_count)))
    return time.perf_counter() - started


def expected_requests(locations: int) -> int:
    """One per location per hourly provider, one METAR and one TAF request per batch of airports (every location
    here is an airport)."""
    return locations * len(HOURLY) + 2 * -(-locations // AWC_BATCH)


def where_time_goes() -> dict:
    """One more unchanged sweep with a stopwatch around each phase (the functions weather.jobs calls, patched
    here only): seconds fetching (avwx parsing of METARs and TAFs, inside the fetch threads, summed apart),
    judging, storing. Wall seconds, so the fetch includes the 50 ms provider delays. The fetch runs on its own
    thread while the main one reads the bookings and judges each route as its answers arrive, and the checks are
    stored batch by batch on a third (`CheckWriter`), so the fetch, `judge_as_answered`, the judging and the
    checks' batches overlap; the last batch and the other stores come after."""
    import threading

    from weather import jobs
    from weather.providers import aviationweather

    spent: dict[str, float] = {}
    lock = threading.Lock()
    originals = []

    def clocked(module, name, label, *, generator=False):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                result = real(*args, **kwargs)
                return iter(list(result)) if generator else result
            finally:
                with lock:
                    spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

        originals.append((module, name, real))
        setattr(module, name, wrapper)

    clocked(jobs, "collect_forecasts", "fetch (all providers, wall)")
    clocked(aviationweather, "metar_sample", "avwx METAR parsing (summed over threads)")
    clocked(aviationweather, "taf_samples", "avwx TAF parsing (summed over threads)", generator=True)
    clocked(jobs, "judge_window", "judge (weather.judging.judge_window, summed)")
    clocked(jobs, "judge_as_answered", "judging while fetching (main thread, until the last route is judged)")
    clocked(jobs.services, "_store_checks", "checks stored by the writer while judging (summed)")
    clocked(jobs.services.CheckWriter, "finish", "store: the checks' last batch (CheckWriter.finish)")
    for name in ("forecasts_store", "provider_calls_record", "weather_statuses_record"):
        clocked(jobs.services, name, f"store: {name}")
    try:
        started = time.perf_counter()
        jobs.run_monitor()
        spent["whole run"] = time.perf_counter() - started
    finally:
        for module, name, real in originals:
            setattr(module, name, real)
    return {label: round(seconds, 2) for label, seconds in spent.items()}


def sweep(server: ProvidersProcess) -> dict:
    from weather.jobs import run_monitor

    before = server.requests
    with counting_queries() as queries:
        started = time.perf_counter()
        summary = run_monitor()
        seconds = time.perf_counter() - started
    return {"bookings": summary["bookings"], "seconds": round(seconds, 2),
            "sweep_seconds": summary.get("sweep_seconds"), "locations": summary["locations"],
            "provider_requests": server.requests - before,
            "expected_requests": expected_requests(summary["locations"]), "queries": queries.count,
            "held": summary.get("held"), "released": summary.get("released"),
            "verdicts_changed": summary.get("verdicts_changed"), "conflict": summary.get("conflict"),
            "errors": summary.get("errors")}


SHARD_AIRPORTS = 25
SHARD_BOOKINGS = 1500


def sharded_sweeps() -> dict:
    """The same 10,000 bookings swept as production fans it out (shards of 25 departure airports and about 1,500
    bookings), the shards run one after another here so each is timed alone: process CPU seconds (the fake
    providers answer from a process of their own) and wall seconds, on first sight (verdicts
    cleared) and on a repeat with no change. A 512 MB Lambda has about 0.29 of a vCPU: 30 s buy about 8.7 s."""
    from weather.jobs import run_monitor
    from weather.models import WeatherCheck

    settings.WEATHER_SHARD_AIRPORTS, settings.WEATHER_SHARD_MAX_BOOKINGS = SHARD_AIRPORTS, SHARD_BOOKINGS
    settings.WEATHER_SHARD_DISPATCH = "inline"
    runs = {}
    try:
        WeatherCheck.objects.all().delete()
        Booking.objects.update(weather_status="unknown", weather_checked_at=None)
        for label in ("first_sight", "repeat"):
            summary = run_monitor()
            runs[label] = {"shards": summary.get("shards"), "bookings": summary.get("bookings"),
                           "seconds": summary.get("seconds"),
                           "per_shard": [{key: s.get(key) for key in ("shard", "airports", "bookings", "locations",
                                                                       "provider_calls", "cpu_seconds",
                                                                       "wall_seconds")}
                                         for s in summary.get("shard_summaries", [])]}
    finally:
        settings.WEATHER_SHARD_AIRPORTS = 0
    return runs


def main() -> int:
    now = timezone.now()
    # Measured in one piece against the fetch floor; `sharded_sweeps` then times the shards production runs.
    settings.WEATHER_SHARD_AIRPORTS = 0
    # The demo school's own flights would join the sweep: keep the measured population to the one described.
    Booking.objects.filter(start__lt=now + timedelta(hours=49), status__in=["scheduled", "confirmed"]).update(
        status="cancelled", cancel_reason="benchmark population")
    airports = pick_airports(AIRPORTS)
    students, planes = build_fleet(airports)
    first_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    sizes = []
    with ProvidersProcess(now) as server:
        add_bookings(first=0, last=SMALL, start=first_hour, students=students, planes=planes, airports=airports)
        sizes.append(sweep(server))
        add_bookings(first=SMALL, last=BOOKINGS, start=first_hour, students=students, planes=planes,
                     airports=airports)
        sizes.append(sweep(server))
        # Steady state: the same 10,014 bookings again, no weather status changes (the scheduler's usual run).
        sizes.append({**sweep(server), "repeat": True})
        floor = bare_fetch_seconds(server, sizes[-1]["expected_requests"])
        phases = where_time_goes()
        shards = sharded_sweeps()
    return finish({"sizes": sizes, "floor_seconds": round(floor, 2), "airports": len(airports), "shards": shards,
                   "phases_unchanged_sweep": phases,
                   "providers": PROVIDERS, "provider_delay_ms": PROVIDER_DELAY * 1000,
                   "concurrency": settings.WEATHER_MAX_CONCURRENT_REQUESTS})


if __name__ == "__main__":
    raise SystemExit(main())
