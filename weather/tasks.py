"""Celery wrappers only: the beat entry `weather.tasks.run_monitor` runs the same job as Zappa and the command."""

from celery import shared_task


@shared_task(name="weather.tasks.run_monitor", ignore_result=True)
def run_monitor(hours=None, dry_run=False):
    from weather.jobs import run_monitor as job

    return job(hours=hours, dry_run=dry_run)
