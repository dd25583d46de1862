"""Celery wrappers only: the work lives in services and jobs."""

from celery import shared_task


@shared_task(name="notifications.tasks.deliver_notification", acks_late=True, ignore_result=True)
def deliver_notification(notification_id: int) -> str:
    from notifications.services import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(name="notifications.tasks.run_delivery", ignore_result=True)
def run_delivery() -> dict:
    from notifications.jobs import run_delivery as run

    return run()
