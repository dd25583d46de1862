"""The reschedule solver on the large demo school: time to find candidates for one held booking, over many
bookings. The baseline is availability.free_intervals for the same parties and week, the query the solver
builds on."""

from bench.common import counting_queries, finish, percentile, setup_django

setup_django()

import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from django.utils import timezone  # noqa: E402

from availability.selectors import free_intervals  # noqa: E402
from bookings.models import Booking  # noqa: E402
from rescheduling import solver  # noqa: E402

SAMPLE = 100


def main() -> int:
    now = timezone.now()
    bookings = list(Booking.objects.filter(status__in=["scheduled", "confirmed"], start__gte=now + timedelta(hours=3))
                    .select_related("student", "instructor", "aircraft", "departure_airport", "destination_airport")
                    .order_by("start")[:SAMPLE])
    if not bookings:
        return finish({"error": "the seeded school has no upcoming bookings"})
    solver.find_candidates(booking=bookings[0], now=now)  # imports and first connection, unmeasured
    solve, base, found, queries = [], [], [], []
    for booking in bookings:
        with counting_queries() as counter:
            started = time.perf_counter()
            candidates = solver.find_candidates(booking=booking, now=now)
            solve.append((time.perf_counter() - started) * 1000)
        found.append(len(candidates))
        queries.append(counter.count)
        started = time.perf_counter()
        free_intervals(start=now, end=now + timedelta(days=7),
                       instructor_ids=[booking.instructor_id] if booking.instructor_id else [],
                       aircraft_ids=[booking.aircraft_id], student_ids=[booking.student_id],
                       exclude_booking_ids=[booking.pk])
        base.append((time.perf_counter() - started) * 1000)
    return finish({
        "bookings": len(bookings), "p50_ms": round(percentile(solve, 0.5), 1),
        "p95_ms": round(percentile(solve, 0.95), 1),
        "max_ms": round(max(solve), 1), "baseline_p50_ms": round(percentile(base, 0.5), 1),
        "baseline_p95_ms": round(percentile(base, 0.95), 1),
        "with_three_candidates": sum(1 for n in found if n >= 3),
        # Flat whatever the school: 9 per booking, 8 for a solo lesson (no instructors to list).
        "queries_per_booking": sorted(set(queries)),
    })


if __name__ == "__main__":
    raise SystemExit(main())
