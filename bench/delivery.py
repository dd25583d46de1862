"""Email delivery: 1,000 pending emails (as after a mail outage) sent by the delivery job to an SMTP server on
loopback. Counts what the server received, and duplicates. The baseline is plain smtplib sending 1,000
messages of the same size over one connection to the same server."""

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


def main() -> int:
    from notifications.jobs import run_delivery

    people = list(User.objects.filter(is_active=True, email_notifications=True).order_by("pk"))
    # Created while the mail server is unreachable: each first attempt fails, as in a real outage.
    point_email_at(free_port())
    for i in range(MESSAGES):
        notify(kind="weather_cleared", recipients=[people[i % len(people)]], idempotency_key=f"bench-delivery-{i}",
               reasons=["visibility 10 sm, ceiling unlimited at KPAO"])
    pending = Notification.objects.filter(channel="email", status="pending",
                                          idempotency_key__startswith="bench-delivery-").count()
    handler = Counting()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        point_email_at(port)
        started = time.perf_counter()
        summary = run_delivery(ignore_backoff=True, batch_size=MESSAGES * 2)
        seconds = time.perf_counter() - started
        received = sum(handler.received.values())
        duplicates = sum(n - 1 for n in handler.received.values() if n > 1)
        size = int(sum(handler.sizes) / max(1, len(handler.sizes)))
        bare = Counting()
        bare_controller = Controller(bare, hostname="127.0.0.1", port=free_port())
        bare_controller.start()
        try:
            line = b"x" * 70 + b"\r\n"
            body = line * max(1, (size - 200) // len(line))
            started = time.perf_counter()
            with smtplib.SMTP(bare_controller.hostname, bare_controller.port) as client:
                for i in range(MESSAGES):
                    client.sendmail("noreply@bench.test", [f"r{i}@bench.test"],
                                    b"Message-ID: <b%d@bench.test>\r\nSubject: bench\r\n\r\n" % i + body)
            bare_seconds = time.perf_counter() - started
        finally:
            bare_controller.stop()
    finally:
        controller.stop()
    return finish({"expected": pending, "received": received, "duplicates": duplicates, "seconds": round(seconds, 2),
                   "messages_per_second": round(received / seconds, 1), "job_summary": {
                       k: summary[k] for k in ("due", "sent", "retrying", "failed", "skipped")},
                   "bare_messages_per_second": round(MESSAGES / bare_seconds, 1), "average_bytes": size})


if __name__ == "__main__":
    raise SystemExit(main())
