"""Celery wrappers only: the beat entry `weather.tasks.run_monitor` runs the same job as Zappa and the command;
`weather.tasks.run_shard` runs one shard of a fanned-out run (retried: a finished shard is never run twice)."""

from celery import shared_task


@shared_task(name="weather.tasks.run_monitor", ignore_result=True)
def run_monitor(hours=None, dry_run=False):
    from weather.jobs import run_monitor as job

    return job(hours=hours, dry_run=dry_run)


@shared_task(name="weather.tasks.run_shard", ignore_result=True, autoretry_for=(Exception,), max_retries=2,
             retry_backoff=True)
def run_shard(run_id, index):
    from weather.shards import run_shard as job

    return job(run_id=run_id, index=index)


@shared_task(name="weather.tasks.act_on_verdict", ignore_result=True, autoretry_for=(Exception,), max_retries=2,
             retry_backoff=True)
def act_on_verdict(booking_id, check_id):
    from weather.jobs import act_on_verdict as job

    return job(booking_id=booking_id, check_id=check_id)
