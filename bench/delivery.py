"""Email delivery: 1,000 pending emails (as after a mail outage) sent by the delivery job to an SMTP server on
loopback, in three rounds. Counts what the server received, and duplicates. The baseline is plain smtplib
sending 1,000 messages of the same size over one connection to the same kind of server, once beside each
delivery round, the two sides taking turns to go first, so a figure and its baseline share the machine's load
as the API part's slices do (run once each, one after the other, a bare rate swung between 893 and 1,158 msg/s
from one run to the next while delivery held 620-660)."""

from bench.common import finish, setup_django

setup_django()

import smtplib  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402

from accounts.models import User  # noqa: E402
from notifications.models import Notification  # noqa: E402
from notifications.services import notify  # noqa: E402

MESSAGES = 1000
ROUNDS = 3


class Counting:
    def __init__(self):
        self.lock = threading.Lock()
        self.received = Counter()
        self.sizes = []

    async def handle_DATA(self, server, session, envelope):
        message_id = next((line.split(":", 1)[1].strip() for line in envelope.content.decode(errors="replace")
                           .splitlines() if line.lower().startswith("message-id:")), "")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.received[(rcpt, message_id)] += 1
            self.sizes.append(len(envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def point_email_at(port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False


def pend(people, *, round_number: int) -> int:
    """MESSAGES emails created while the mail server is unreachable: each first attempt fails, as in a real
    outage, and leaves the email pending."""
    point_email_at(free_port())
    prefix = f"bench-delivery-{round_number}-"
    for i in range(MESSAGES):
        notify(kind="weather_cleared", recipients=[people[i % len(people)]], idempotency_key=f"{prefix}{i}",
               reasons=["visibility 10 sm, ceiling unlimited at KPAO"])
    return Notification.objects.filter(channel="email", status="pending", idempotency_key__startswith=prefix).count()


def bare_round(size: int, round_number: int) -> float:
    """Seconds for plain smtplib to send MESSAGES pre-built messages of `size` bytes over one connection."""
    bare = Counting()
    controller = Controller(bare, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        line = b"x" * 70 + b"\r\n"
        body = line * max(1, (size - 200) // len(line))
        started = time.perf_counter()
        with smtplib.SMTP(controller.hostname, controller.port) as client:
            for i in range(MESSAGES):
                client.sendmail("noreply@bench.test", [f"r{i}@bench.test"],
                                b"Message-ID: <b%d.%d@bench.test>\r\nSubject: bench\r\n\r\n" % (round_number, i) + body)
        return time.perf_counter() - started
    finally:
        controller.stop()


def main() -> int:
    from notifications.jobs import run_delivery

    people = list(User.objects.filter(is_active=True, email_notifications=True).order_by("pk"))
    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    expected, seconds, bare_seconds, rounds, summaries = 0, 0.0, 0.0, [], []

    def average_size() -> int:
        return int(sum(handler.sizes) / max(1, len(handler.sizes)))

    def deliver() -> tuple[int, float]:
        point_email_at(port)
        before = sum(handler.received.values())
        started = time.perf_counter()
        summaries.append(run_delivery(ignore_backoff=True, batch_size=MESSAGES * 2))
        return sum(handler.received.values()) - before, time.perf_counter() - started

    try:
        for round_number in range(ROUNDS):
            expected += pend(people, round_number=round_number)
            # Delivery first in the first round (the baseline's messages take its average size), then the two
            # sides alternate which goes first, so a drift in the machine's speed falls on both.
            if round_number % 2 == 0:
                sent, took = deliver()
                bare = bare_round(average_size(), round_number)
            else:
                bare = bare_round(average_size(), round_number)
                sent, took = deliver()
            seconds, bare_seconds = seconds + took, bare_seconds + bare
            rounds.append({"messages_per_second": round(sent / took, 1),
                           "bare_messages_per_second": round(MESSAGES / bare, 1)})
    finally:
        controller.stop()
    received = sum(handler.received.values())
    duplicates = sum(n - 1 for n in handler.received.values() if n > 1)
    return finish({"expected": expected, "received": received, "duplicates": duplicates, "rounds": rounds,
                   "seconds": round(seconds, 2), "messages_per_second": round(received / seconds, 1),
                   "job_summary": {k: sum(s[k] for s in summaries)
                                   for k in ("due", "sent", "retrying", "failed", "skipped")},
                   "bare_messages_per_second": round(ROUNDS * MESSAGES / bare_seconds, 1),
                   "average_bytes": average_size()})


if __name__ == "__main__":
    raise SystemExit(main())
