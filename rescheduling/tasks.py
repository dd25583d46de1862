"""Celery wrappers only: the work lives in jobs.py."""

from celery import shared_task


@shared_task(name="rescheduling.tasks.run_deadlines", ignore_result=True)
def run_deadlines() -> dict:
    from rescheduling.jobs import run_deadlines as run

    return run()
