"""With a broker configured, fresh emails go through the Celery task rather than the request's process."""

import pytest
from celery.signals import task_prerun

from config.celery_app import app as celery_app
from notifications.models import Channel, NotificationStatus
from notifications.services import notify
from notifications.tests.factories import BookingFactory


@pytest.fixture
def broker_configured(settings):
    settings.CELERY_BROKER_URL = "memory://"
    yield
    # Even an eager `.delay` takes a producer from the app's broker pool, which then stays bound to
    # memory:// for the rest of the process. Forget the pools, so a later test that points the app at a
    # real broker gets fresh ones.
    celery_app._pool = None
    celery_app.__dict__.pop("amqp", None)


@pytest.mark.django_db
def test_with_a_broker_each_email_is_delivered_by_the_celery_task(broker_configured, smtp, owner, colleague,
                                                                  django_capture_on_commit_callbacks):
    # The test settings run tasks eagerly, so the task really executes here, through Celery's own machinery.
    booking = BookingFactory(student=owner, instructor=colleague)
    ran = []

    def record(sender=None, args=None, **kwargs):
        ran.append((sender.name, tuple(args or ())))

    task_prerun.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            created = notify(kind="weather_conflict", recipients=[owner, colleague], booking=booking,
                             reasons=["ceiling 800 ft below 3000 ft (student_pilot) at KPAO 17:00Z"],
                             idempotency_key="celery-path")
    finally:
        task_prerun.disconnect(record)

    emails = sorted(n.pk for n in created if n.channel == Channel.EMAIL)
    assert sorted(ran) == [("notifications.tasks.deliver_notification", (pk,)) for pk in emails]
    assert len(smtp.messages) == 2
    for notification in created:
        notification.refresh_from_db()
        assert notification.status == NotificationStatus.SENT
