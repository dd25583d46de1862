"""Celery for background work where a worker runs; with no broker every task runs eagerly in process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("flight_schedule_pro")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
