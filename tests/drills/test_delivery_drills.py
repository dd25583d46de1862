"""Fault drills for email delivery over a real SMTP conversation. Nothing lost, nothing sent twice."""

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from notifications.jobs import run_delivery
from notifications.models import Notification
from notifications.services import notify
from notifications.tests.smtp import FakeSMTPServer, _free_port
from tests.timetravel import child_clock_env

ROOT = Path(__file__).resolve().parents[2]


def pending_emails(people, key):
    notify(kind="weather_conflict", recipients=people, idempotency_key=key,
           reasons=["visibility 0.6 sm below 3 sm (private_pilot) at KPAO 14:00Z"])
    return list(Notification.objects.filter(idempotency_key=key, channel="email").order_by("pk"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_mail_server_down_then_back_sends_each_message_exactly_once(settings, owner, colleague):
    with FakeSMTPServer() as smtp:
        smtp.configure(settings)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        smtp.stop()  # the outage: nothing listens on the port
        emails = pending_emails([owner, colleague], "drill:outage")
        assert len(emails) == 2
        run_delivery(ignore_backoff=True)
        assert set(Notification.objects.filter(channel="email").values_list("status", flat=True)) == {"pending"}
        smtp.start()  # the server is back on the same port
        after = run_delivery(ignore_backoff=True)
        again = run_delivery(ignore_backoff=True)
        assert after["sent"] == 2 and again["sent"] == 0
        assert len(smtp.to(owner.email)) == 1 and len(smtp.to(colleague.email)) == 1
        assert set(Notification.objects.filter(channel="email").values_list("status", flat=True)) == {"sent"}


class _StallingHandler:
    """Answers EHLO only after a long pause the first time: the worker is mid-conversation when it is killed."""

    def __init__(self):
        self.stalled = threading.Event()
        self.messages = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if not self.stalled.is_set():
            self.stalled.set()
            import asyncio

            await asyncio.sleep(30)
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_delivery_the_next_run_finishes_it(settings, owner, colleague, stranger):
    port = _free_port()
    handler = _StallingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        # Created while mail is down, so the in-process first attempt fails and the worker has them to send.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 5
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        emails = pending_emails([owner, colleague, stranger], "drill:killed")
        assert [e.attempts for e in Notification.objects.filter(pk__in=[e.pk for e in emails])] == [1, 1, 1]
        db = django_settings.DATABASES["default"]
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "EMAIL_URL": f"smtp://127.0.0.1:{port}",
               "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
                               f"{connection.settings_dict['NAME']}",
               "PYTHONPATH": str(ROOT)}
        env = child_clock_env(env)
        worker = subprocess.Popen(
            [sys.executable, "-c", "from notifications.jobs import run_delivery; run_delivery(ignore_backoff=True)"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            if not handler.stalled.wait(timeout=60):
                worker.kill()
                pytest.fail(f"the worker never reached the mail server: {worker.communicate()[1][-2000:]!r}")
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == -signal.SIGKILL
        claimed = Notification.objects.get(pk=emails[0].pk)
        assert claimed.status == "pending" and claimed.attempts == 2 and claimed.claimed_until is not None
        assert handler.messages == []

        # Scheduled retries: the killed worker's claim runs out, then the next run sends what is left, once.
        settings.EMAIL_PORT = port
        later = timezone.now() + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS + 1)
        first = run_delivery(now=later, ignore_backoff=True)
        second = run_delivery(now=later + timedelta(minutes=5), ignore_backoff=True)
        assert first["sent"] == 3 and second["sent"] == 0
        assert sorted(handler.messages) == sorted([owner.email, colleague.email, stranger.email])
        assert set(Notification.objects.filter(channel="email").values_list("status", flat=True)) == {"sent"}
    finally:
        controller.stop()
