"""Options on demand: the whole `POST /api/v1/bookings/{id}/reschedule/` request for a held flight of the large
school, through Django's full request handling under the benchmark's production settings: the JWT's user, the
solver, Claude ranking the candidates (faked on loopback HTTP by `tests.http_fake`, answering at once with the
recorded Messages API shape), the writes and the two "options ready" emails (sent to aiosmtpd on loopback
before the answer, as production does without a broker). The baseline is the solver alone for the same flights."""

from bench.common import counting_queries, finish, percentile, setup_django

setup_django()

import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_otp.oath import totp  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.otp import totp_device_enrol  # noqa: E402
from bench.delivery import Counting, free_port, point_email_at  # noqa: E402
from bookings.models import Booking  # noqa: E402
from rescheduling import solver  # noqa: E402
from rescheduling.tests.anthropic_fake import tool_answer  # noqa: E402
from tests.http_fake import FakeHTTPServer  # noqa: E402

SAMPLE = 60
ADMIN = "ops@demo.flightschedule.pro"
PASSWORD = "fly-safe-2026"
CANDIDATE_ID = re.compile(r'"candidate_id": "([^"]+)"')


def claude_answer(request):
    """Claude's tool call naming the first three candidates it was shown, each with a short rationale."""
    prompt = request.json()["messages"][0]["content"]
    ids = CANDIDATE_ID.findall(prompt)[:3]
    return tool_answer([{"candidate_id": cid, "rationale": "Keeps your instructor at a time you usually fly."}
                        for cid in ids])


def staff_otp_code(email: str) -> str:
    """Production settings ask operations staff for a one-time code at sign-in: enrol a device, read its code."""
    device = totp_device_enrol(user=User.objects.get(email=email), replace=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def held_flights(now) -> list[Booking]:
    """Upcoming lessons of the large school with an instructor, put on weather hold the way the monitor leaves them
    (no request opened in the last 15 minutes, so the endpoint is not throttled)."""
    chosen = list(Booking.objects.filter(status__in=["scheduled", "confirmed"], instructor__isnull=False,
                                         start__gte=now + timedelta(hours=6), reschedule_requests__isnull=True)
                  .order_by("start").values_list("pk", flat=True)[:SAMPLE + 1])
    Booking.objects.filter(pk__in=chosen).update(status="weather_hold", hold_reason="weather",
                                                 weather_status="conflict")
    return list(Booking.objects.filter(pk__in=chosen).order_by("start")
                .select_related("student", "instructor", "aircraft", "departure_airport", "destination_airport"))


def main() -> int:
    now = timezone.now()
    mail = Counting()
    controller = Controller(mail, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        with FakeHTTPServer() as claude:
            claude.route("POST", "/v1/messages", claude_answer)
            settings.ANTHROPIC_API_KEY, settings.ANTHROPIC_BASE_URL = "sk-ant-bench", claude.url
            point_email_at(controller.port)
            client = Client(HTTP_HOST="127.0.0.1")
            login = client.post("/api/v1/auth/login/", {"email": ADMIN, "password": PASSWORD,
                                                        "otp_token": staff_otp_code(ADMIN)},
                                content_type="application/json")
            if login.status_code != 200:
                return finish({"error": f"could not sign in as {ADMIN}: HTTP {login.status_code}"})
            auth = {"HTTP_AUTHORIZATION": f"Bearer {login.json()['access']}"}
            flights = held_flights(now)
            if len(flights) < 2:
                return finish({"error": "the seeded school has too few upcoming lessons to hold"})
            # The first request pays the imports (the Anthropic SDK among them) and the first connections.
            client.post(f"/api/v1/bookings/{flights[0].pk}/reschedule/", **auth)
            timings, solver_ms, statuses, queries, sources = [], [], {}, [], {}
            for booking in flights[1:]:
                with counting_queries() as counter:
                    started = time.perf_counter()
                    response = client.post(f"/api/v1/bookings/{booking.pk}/reschedule/", **auth)
                    timings.append((time.perf_counter() - started) * 1000)
                queries.append(counter.count)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 201:
                    for option in json.loads(response.content)["options"]:
                        sources[option["source"]] = sources.get(option["source"], 0) + 1
                started = time.perf_counter()
                solver.find_candidates(booking=booking, now=timezone.now())
                solver_ms.append((time.perf_counter() - started) * 1000)
            claude_calls = claude.count("POST", "/v1/messages")
    finally:
        controller.stop()
    return finish({
        "requests": len(timings), "statuses": statuses, "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(percentile(timings, 0.95), 1), "max_ms": round(max(timings), 1),
        "solver_p50_ms": round(percentile(solver_ms, 0.5), 1), "solver_p95_ms": round(percentile(solver_ms, 0.95), 1),
        "queries_per_request": sorted(set(queries)), "option_sources": sources, "claude_calls": claude_calls,
        "emails_received": sum(mail.received.values()),
    })


if __name__ == "__main__":
    raise SystemExit(main())
