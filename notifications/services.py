"""Writes for notifications: creating each message once, delivering email exactly once, marking read.

Delivery never runs inside the transaction that created the message: `notify` schedules it with
`transaction.on_commit`, and a worker claims a row with a conditional UPDATE before it talks to the mail
server, so two workers (or a job run twice) never send the same message twice. The SMTP conversation
itself happens outside any database transaction, so a slow mail server never holds locks.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.selectors import operations_staff
from audit.services import Column, audit_record, audit_record_many, audit_record_returning
from config.exceptions import ApplicationError, NotFoundError
from notifications import channels
from notifications.models import Channel, Notification, NotificationKind, NotificationStatus
from notifications.rendering import render_message

logger = logging.getLogger(__name__)

# Kinds that never go by email: a delivery failure is news about email itself.
IN_APP_ONLY_KINDS = frozenset({NotificationKind.DELIVERY_FAILED})


def _snapshot(notification: Notification) -> dict:
    return {
        "recipient": notification.recipient_id, "kind": notification.kind, "channel": notification.channel,
        "status": notification.status, "attempts": notification.attempts,
        "booking": notification.booking_id, "reschedule_request": notification.reschedule_request_id,
        "idempotency_key": notification.idempotency_key,
    }


def _wants_email(user, kind: str) -> bool:
    return kind not in IN_APP_ONLY_KINDS and bool(user.email) and user.email_notifications


def _unique_recipients(recipients) -> list:
    people, seen = [], set()
    for person in recipients or ():
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        people.append(person)
    return people


def _create_once(row: Notification) -> Notification | None:
    """Insert unless (idempotency_key, recipient, channel) exists; a concurrent twin loses on the constraint."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            return row
    except IntegrityError:
        return None


def _create_all_once(rows: list[Notification]) -> list[Notification]:
    """`_create_once` for several rows: one INSERT when none of them exists yet (the rows were checked just
    before); when a concurrent twin got one in first, row by row, skipping what exists."""
    if not rows:
        return []
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(rows)
    except IntegrityError:
        return [created for created in map(_create_once, rows) if created is not None]


@transaction.atomic
def notify(*, kind: str, recipients, idempotency_key: str, booking=None, reschedule_request=None,
           reasons=(), extra: dict | None = None, event_at: datetime | None = None) -> list[Notification]:
    """Tell each recipient about one event: an in-app message, and an email when they have email on.

    The same idempotency key for the same person and channel never makes a second message, so callers
    may call this again after a crash or a second run. Returns the notifications this call created.
    """
    if kind not in NotificationKind.values:
        raise ApplicationError(f"Unknown notification kind {kind!r}.", code="unknown_notification_kind",
                               fields={"kind": [f"Choose one of: {', '.join(NotificationKind.values)}."]})
    if not idempotency_key:
        raise ApplicationError("An idempotency key is required.", code="idempotency_key_required",
                               fields={"idempotency_key": ["This field is required."]})
    # Stored keys are at most 200 characters: look up and insert the same form of a longer one.
    idempotency_key = idempotency_key[:200]
    people = _unique_recipients(recipients)
    if not people:
        return []
    existing = set(
        Notification.objects.filter(idempotency_key=idempotency_key, recipient__in=people)
        .values_list("recipient_id", "channel")
    )
    now = timezone.now()
    rows: list[Notification] = []
    for person in people:
        wanted = [Channel.IN_APP] + ([Channel.EMAIL] if _wants_email(person, kind) else [])
        wanted = [channel for channel in wanted if (person.pk, channel) not in existing]
        if not wanted:
            continue
        message = render_message(kind=kind, recipient=person, booking=booking,
                                 reschedule_request=reschedule_request, reasons=reasons, extra=extra)
        for channel in wanted:
            in_app = channel == Channel.IN_APP
            rows.append(Notification(
                recipient=person, kind=kind, channel=channel, idempotency_key=idempotency_key,
                booking=booking, reschedule_request_id=getattr(reschedule_request, "pk", None),
                subject=message.subject, body_text=message.body_text,
                body_html="" if in_app else message.body_html, link=message.link,
                status=NotificationStatus.SENT if in_app else NotificationStatus.PENDING,
                sent_at=now if in_app else None, next_attempt_at=None if in_app else now,
                event_at=event_at,
            ))
    created = _create_all_once(rows)
    audit_record_many(events=[{"action": "notification.created", "object_type": "notification",
                               "object_id": notification.pk, "after": _snapshot(notification)}
                              for notification in created])
    email_ids = [n.pk for n in created if n.channel == Channel.EMAIL]
    if email_ids:
        # A broker or mail outage must never break the caller's already committed work.
        transaction.on_commit(partial(schedule_delivery, email_ids), robust=True)
    return created


def schedule_delivery(notification_ids: list[int]) -> None:
    """Hand fresh emails to Celery when a broker is configured, else deliver them right here.

    Anything that goes wrong here is left for `run_delivery`: the rows stay pending and due.
    """
    if settings.CELERY_BROKER_URL:
        from notifications.tasks import deliver_notification

        for notification_id in notification_ids:
            try:
                deliver_notification.delay(notification_id)
            except Exception:
                logger.exception("could not queue notification %s; the delivery job will send it", notification_id)
        return
    # One mail session for all of them (a conflict emails the student and the instructor at once).
    connection = get_connection()
    try:
        notifications_deliver(notification_ids=notification_ids, connection=connection,
                              send_rate=settings.NOTIFICATION_SEND_RATE or None)
    except Exception:
        logger.exception("delivery of notifications %s failed unexpectedly; they stay pending", notification_ids)
    finally:
        try:
            connection.close()
        except Exception:
            logger.warning("closing the mail connection failed", exc_info=True)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base, ... capped."""
    seconds = settings.NOTIFICATION_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.NOTIFICATION_RETRY_MAX_SECONDS))


def _claim(*, notification_id: int, token: str, now: datetime, ignore_backoff: bool) -> bool:
    """Take the row for this worker. Exactly one concurrent caller gets 1 back from the UPDATE."""
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Q() if ignore_backoff else Q(next_attempt_at__lte=now)
    return Notification.objects.filter(
        unclaimed, due, pk=notification_id, channel=Channel.EMAIL, status=NotificationStatus.PENDING,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    ).update(
        claim_token=token, claimed_until=now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS),
        attempts=F("attempts") + 1,
    ) == 1


def notification_deliver(*, notification_id: int, now: datetime | None = None, ignore_backoff: bool = False,
                         connection=None) -> str:
    """Send one pending email if it is due and nobody else holds it.

    Returns "sent", "retrying", "failed" or "skipped" (not due, already sent, or claimed by another worker).
    Deliberately not one transaction: the claim commits before the mail server is contacted, so a
    concurrent worker sees it, and the outcome is written afterwards.
    """
    started = now or timezone.now()
    token = uuid.uuid4().hex
    if not _claim(notification_id=notification_id, token=token, now=started, ignore_backoff=ignore_backoff):
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    try:
        channels.send_email(notification, connection=connection)
    except channels.DeliveryError as exc:
        return _record_failure(notification=notification, token=token, error=exc, now=now or timezone.now())
    _record_sent(notification=notification, token=token, now=now or timezone.now())
    return "sent"


def delivery_chunk_size() -> int:
    """How many emails one claim takes: as many as can all time out one after another (EMAIL_TIMEOUT each) in
    half the claim's lease, so a slow mail server cannot make a claim lapse under its worker (at most 50)."""
    timeout = max(1.0, float(settings.EMAIL_TIMEOUT or 15.0))
    return max(1, min(50, int(settings.NOTIFICATION_CLAIM_SECONDS / 2 / timeout)))


def _claim_many(*, notification_ids, token: str, now: datetime, ignore_backoff: bool) -> dict[int, Notification]:
    """Take every row of `notification_ids` that is due and free for this worker (one UPDATE; a concurrent
    worker's UPDATE waits on the same rows and then finds them claimed), and read them back with their
    recipients: on PostgreSQL in the same statement (UPDATE ... FROM the users ... RETURNING both)."""
    notification_ids = list(notification_ids)
    claimed_until = now + timedelta(seconds=settings.NOTIFICATION_CLAIM_SECONDS)
    if connection.vendor == "postgresql":
        return _claim_and_read(notification_ids=notification_ids, token=token, now=now, claimed_until=claimed_until,
                               ignore_backoff=ignore_backoff)
    unclaimed = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Q() if ignore_backoff else Q(next_attempt_at__lte=now)
    Notification.objects.filter(
        unclaimed, due, pk__in=notification_ids, channel=Channel.EMAIL, status=NotificationStatus.PENDING,
        attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS,
    ).update(claim_token=token, claimed_until=claimed_until, attempts=F("attempts") + 1)
    return {n.pk: n for n in Notification.objects.select_related("recipient").filter(
        pk__in=notification_ids, claim_token=token)}


def _row_reader(model, alias: str):
    """The attribute names of `model`'s concrete columns and a function turning one row of them into an instance,
    with the database converters the ORM applies to each column."""
    fields = model._meta.concrete_fields
    columns = [field.get_col(alias) for field in fields]
    converters = [(index, converters, column) for index, column in enumerate(columns)
                  if (converters := connection.ops.get_db_converters(column) + column.get_db_converters(connection))]
    names = [field.attname for field in fields]

    def read(values):
        values = list(values)
        for index, functions, column in converters:
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        return model.from_db(connection.alias, names, values)

    return [column.target.column for column in columns], read


def _claim_and_read(*, notification_ids: list[int], token: str, now: datetime, claimed_until: datetime,
                    ignore_backoff: bool) -> dict[int, Notification]:
    """`_claim_many`'s UPDATE and read as one statement: written by hand, since the ORM's UPDATE returns no rows."""
    if not notification_ids:
        return {}
    ops = connection.ops
    recipient_model = Notification._meta.get_field("recipient").related_model
    notification_columns, read_notification = _row_reader(Notification, "n")
    recipient_columns, read_recipient = _row_reader(recipient_model, "r")

    def bare(name: str) -> str:
        return ops.quote_name(Notification._meta.get_field(name).column)

    def column(name: str) -> str:
        return f"n.{bare(name)}"

    due = "" if ignore_backoff else f" AND {column('next_attempt_at')} <= %s"
    sql = (f"UPDATE {ops.quote_name(Notification._meta.db_table)} AS n SET "  # noqa: S608 - quoted names and placeholders only
           f"{bare('claim_token')} = %s, {bare('claimed_until')} = %s, {bare('attempts')} = {column('attempts')} + 1 "
           f"FROM {ops.quote_name(recipient_model._meta.db_table)} AS r "
           f"WHERE r.{ops.quote_name(recipient_model._meta.pk.column)} = {column('recipient')} "
           f"AND {column('id')} IN ({', '.join(['%s'] * len(notification_ids))}) "
           f"AND {column('channel')} = %s AND {column('status')} = %s AND {column('attempts')} < %s "
           f"AND ({column('claimed_until')} IS NULL OR {column('claimed_until')} <= %s){due} "
           f"RETURNING {', '.join(f'n.{ops.quote_name(name)}' for name in notification_columns)}, "
           f"{', '.join(f'r.{ops.quote_name(name)}' for name in recipient_columns)}")
    moment = ops.adapt_datetimefield_value(now)
    params = [token, ops.adapt_datetimefield_value(claimed_until), *notification_ids, Channel.EMAIL.value,
              NotificationStatus.PENDING.value, settings.NOTIFICATION_MAX_ATTEMPTS, moment,
              *([] if ignore_backoff else [moment])]
    claimed = {}
    width = len(notification_columns)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            notification = read_notification(row[:width])
            notification.recipient = read_recipient(row[width:])
            claimed[notification.pk] = notification
    return claimed


class _Pacer:
    """Keeps sends under `rate` a second (SES refuses faster ones with a Throttling error): a token bucket holding
    one second's worth, so a handful of messages (a request's two emails) never waits. No rate, no waiting."""

    def __init__(self, rate: float | None):
        self.rate = float(rate or 0.0)
        self.tokens = max(1.0, self.rate)
        self.last = time.monotonic()

    def wait(self) -> None:
        if not self.rate:
            return
        now = time.monotonic()
        self.tokens = min(max(1.0, self.rate), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1.0:
            time.sleep((1.0 - self.tokens) / self.rate)
            self.tokens, self.last = 1.0, time.monotonic()
        self.tokens -= 1.0


def _room(*, deadline: float | None, send_rate: float | None) -> int | None:
    """How many more sends can start before `deadline` (a time.monotonic() value) at `send_rate`; None: no bound."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        return 0
    return None if not send_rate else int(left * send_rate)


def notifications_deliver(*, notification_ids, now: datetime | None = None, ignore_backoff: bool = False,
                          connection=None, on_outcome=None, send_rate: float | None = None,
                          deadline: float | None = None) -> list[str]:
    """`notification_deliver` for many emails over one mail connection: each chunk of them is claimed with one
    statement and read with one more, sent message by message, and the sent ones are recorded together (one
    transaction: their rows and their audit rows) before the next chunk is claimed. A failure is recorded as
    it happens, as one at a time, and never touches the other messages of the chunk. Returns the outcome of
    each id, in order; `on_outcome(outcome)` is called once per message, when its outcome is known.

    `send_rate` (messages a second) spaces the sends; with `deadline` (a time.monotonic() value) no chunk is
    claimed that could not be sent before it at that rate, and the ids left over are "deferred": unclaimed,
    still due, for the next run. When the mail service cannot be reached at all, the rest of that chunk is
    recorded as the same failed attempt without dialling again for each message; the next chunk dials once.

    A worker that dies in the middle of a chunk leaves that chunk's sent messages claimed, not recorded: after
    the claim lapses another worker sends them again, with the same Message-ID (one at a time, the same holds
    for the one message in flight)."""
    notification_ids = list(notification_ids)
    size = delivery_chunk_size()
    pacer = _Pacer(send_rate)
    outcomes: list[str] = []

    def settle(outcome: str) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    position = 0
    while position < len(notification_ids):
        room = _room(deadline=deadline, send_rate=send_rate)
        count = size if room is None else min(size, room)
        if count <= 0:
            break
        chunk = notification_ids[position:position + count]
        position += len(chunk)
        token = uuid.uuid4().hex
        claimed = _claim_many(notification_ids=chunk, token=token, now=now or timezone.now(),
                              ignore_backoff=ignore_backoff)
        sent: list[tuple[Notification, datetime]] = []
        unreachable: channels.DeliveryError | None = None
        for notification_id in chunk:
            notification = claimed.get(notification_id)
            if notification is None:
                settle("skipped")
                continue
            if unreachable is not None:
                settle(_record_failure(notification=notification, token=token, error=unreachable,
                                       now=now or timezone.now()))
                continue
            pacer.wait()
            try:
                channels.send_email(notification, connection=connection)
            except channels.DeliveryError as exc:
                if exc.unreachable:
                    unreachable = exc
                settle(_record_failure(notification=notification, token=token, error=exc,
                                       now=now or timezone.now()))
            else:
                sent.append((notification, now or timezone.now()))
                settle("sent")
        if sent:
            _record_sent_many(sent=sent, token=token)
    for _ in notification_ids[position:]:
        settle("deferred")
    return outcomes


def _record_sent_many(*, sent: list[tuple[Notification, datetime]], token: str) -> None:
    """What `_record_sent` writes, for several messages: the rows still under our claim marked sent and their audit
    rows written (on PostgreSQL one statement, elsewhere one transaction of two); a message whose claim lapsed
    meanwhile is recorded as `_record_sent` does."""
    at = {notification.pk: when for notification, when in sent}
    if connection.vendor == "postgresql":
        statement, params = _mark_sent_under_claim(at=at, token=token, returning=("id", "attempts"))
        ours = {int(pk) for pk in audit_record_returning(
            statement=statement, params=params, action="notification.sent", object_type="notification",
            before={"status": NotificationStatus.PENDING, "attempts": Column("attempts")},
            after={"status": NotificationStatus.SENT, "attempts": Column("attempts")})}
    else:
        with transaction.atomic():
            statement, params = _mark_sent_under_claim(at=at, token=token, returning=("id",))
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                ours = {pk for (pk,) in cursor.fetchall()}
            _audit_sent([notification for notification, _ in sent if notification.pk in ours])
    lapsed = [(notification, when) for notification, when in sent if notification.pk not in ours]
    if lapsed:
        _record_sent_after_lapse(lapsed)


def _audit_sent(notifications: list[Notification]) -> None:
    audit_record_many(events=[{
        "action": "notification.sent", "object_type": "notification", "object_id": notification.pk,
        "before": {"status": NotificationStatus.PENDING, "attempts": notification.attempts},
        "after": {"status": NotificationStatus.SENT, "attempts": notification.attempts},
    } for notification in notifications])


@transaction.atomic
def _record_sent_after_lapse(lapsed: list[tuple[Notification, datetime]]) -> None:
    recorded = []
    for notification, when in lapsed:
        logger.warning("notification %s was sent after its claim expired", notification.pk)
        if Notification.objects.filter(pk=notification.pk, status=NotificationStatus.PENDING).update(
                status=NotificationStatus.SENT, sent_at=when, last_error="", claim_token="", claimed_until=None,
                next_attempt_at=None):
            recorded.append(notification)
    _audit_sent(recorded)


def _mark_sent_under_claim(*, at: dict[int, datetime], token: str, returning: tuple[str, ...]) -> tuple[str, list]:
    """The UPDATE ... RETURNING (the `returning` fields) that marks sent, each at its own time, the rows of `at`
    still claimed by `token`. It takes the rows' locks as it goes and re-checks the claim of a row a concurrent
    worker held, as a locking read followed by an update would. Written out by hand: the ORM's CASE expression for
    the per-row times took longer to build than sending the chunk's messages."""
    meta, ops = Notification._meta, connection.ops
    table = ops.quote_name(meta.db_table)
    column = {name: ops.quote_name(meta.get_field(name).column)
              for name in {"id", "status", "last_error", "claim_token", "claimed_until", "next_attempt_at", "sent_at",
                           *returning}}
    whens = " ".join(["WHEN %s THEN %s"] * len(at))
    ids = ", ".join(["%s"] * len(at))
    sql = (f"UPDATE {table} SET {column['status']} = %s, {column['last_error']} = '', {column['claim_token']} = '', "  # noqa: S608 - quoted names and placeholders only
           f"{column['claimed_until']} = NULL, {column['next_attempt_at']} = NULL, "
           f"{column['sent_at']} = CASE {column['id']} {whens} END "
           f"WHERE {column['id']} IN ({ids}) AND {column['claim_token']} = %s "
           f"RETURNING {', '.join(column[name] for name in returning)}")
    params = [NotificationStatus.SENT.value,
              *(value for pk, when in at.items() for value in (pk, ops.adapt_datetimefield_value(when))),
              *at, token]
    return sql, params


@transaction.atomic
def _record_sent(*, notification: Notification, token: str, now: datetime) -> None:
    done = {"status": NotificationStatus.SENT, "sent_at": now, "last_error": "", "claim_token": "",
            "claimed_until": None, "next_attempt_at": None}
    updated = Notification.objects.filter(pk=notification.pk, claim_token=token).update(**done)
    if not updated:
        # Our claim lapsed during a very slow send and another worker took the row over. The message
        # did go out, so record that; the other worker's send may duplicate it (same Message-ID).
        logger.warning("notification %s was sent after its claim expired", notification.pk)
        updated = Notification.objects.filter(pk=notification.pk, status=NotificationStatus.PENDING).update(**done)
    if updated:
        audit_record(action="notification.sent", object_type="notification", object_id=notification.pk,
                     before={"status": NotificationStatus.PENDING, "attempts": notification.attempts},
                     after={"status": NotificationStatus.SENT, "attempts": notification.attempts})


@transaction.atomic
def _record_failure(*, notification: Notification, token: str, error: channels.DeliveryError,
                    now: datetime) -> str:
    attempts = notification.attempts
    message = str(error)[:2000]
    final = not error.retryable or attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
    changes = {"last_error": message, "claim_token": "", "claimed_until": None}
    if final:
        changes.update(status=NotificationStatus.FAILED, next_attempt_at=None)
    else:
        changes.update(next_attempt_at=now + retry_delay(attempts))
    if not Notification.objects.filter(pk=notification.pk, claim_token=token).update(**changes):
        return "skipped"
    logger.warning("notification %s attempt %s failed: %s", notification.pk, attempts, message)
    audit_record(
        action="notification.failed" if final else "notification.retry_scheduled",
        object_type="notification", object_id=notification.pk,
        before={"status": NotificationStatus.PENDING, "attempts": attempts},
        after={"status": changes.get("status", NotificationStatus.PENDING), "attempts": attempts,
               "last_error": message, "next_attempt_at": changes.get("next_attempt_at")},
    )
    if final:
        _tell_operations_staff(notification=notification, attempts=attempts, last_error=message)
        return "failed"
    return "retrying"


def _tell_operations_staff(*, notification: Notification, attempts: int, last_error: str) -> None:
    notify(
        kind=NotificationKind.DELIVERY_FAILED, recipients=list(operations_staff()),
        idempotency_key=f"delivery_failed:{notification.pk}", booking=notification.booking,
        extra={"failed_kind": notification.get_kind_display().lower(),
               "failed_recipient": notification.recipient.email, "attempts": attempts,
               "last_error": last_error, "notification_id": notification.pk},
        event_at=timezone.now(),
    )


@transaction.atomic
def notifications_fail_abandoned(*, now: datetime | None = None) -> int:
    """Emails whose last allowed attempt was claimed by a worker that never came back: give up on them.

    Whether that worker's send went out is unknowable, so they are not sent again; staff are told.
    """
    now = now or timezone.now()
    abandoned = list(
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("recipient", "booking").filter(
            channel=Channel.EMAIL, status=NotificationStatus.PENDING,
            attempts__gte=settings.NOTIFICATION_MAX_ATTEMPTS, claimed_until__lte=now,
        )
    )
    for notification in abandoned:
        error = notification.last_error or "delivery interrupted: the worker stopped before recording the result"
        Notification.objects.filter(pk=notification.pk).update(
            status=NotificationStatus.FAILED, last_error=error, claim_token="", claimed_until=None,
            next_attempt_at=None,
        )
        audit_record(action="notification.failed", object_type="notification", object_id=notification.pk,
                     before={"status": NotificationStatus.PENDING}, after={"status": NotificationStatus.FAILED,
                                                                          "last_error": error})
        _tell_operations_staff(notification=notification, attempts=notification.attempts, last_error=error)
    return len(abandoned)


@transaction.atomic
def notification_requeue(*, notification: Notification, actor, now: datetime | None = None) -> Notification:
    """Operators: try a failed email again from scratch (after fixing the address or the mail setup)."""
    now = now or timezone.now()
    if notification.channel != Channel.EMAIL or notification.status != NotificationStatus.FAILED:
        raise ApplicationError("Only a failed email can be sent again.", code="not_requeueable")
    Notification.objects.filter(pk=notification.pk, status=NotificationStatus.FAILED).update(
        status=NotificationStatus.PENDING, attempts=0, next_attempt_at=now, claim_token="", claimed_until=None,
    )
    audit_record(action="notification.requeued", object_type="notification", object_id=notification.pk,
                 actor=actor, before={"status": NotificationStatus.FAILED, "attempts": notification.attempts},
                 after={"status": NotificationStatus.PENDING, "attempts": 0})
    transaction.on_commit(partial(schedule_delivery, [notification.pk]), robust=True)
    notification.refresh_from_db()
    return notification


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor, now: datetime | None = None) -> Notification:
    if notification.recipient_id != actor.pk:
        raise NotFoundError("Notification not found.")
    now = now or timezone.now()
    if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
        audit_record(action="notification.read", object_type="notification", object_id=notification.pk,
                     actor=actor, before={"read_at": None}, after={"read_at": now})
    notification.refresh_from_db(fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, actor, now: datetime | None = None) -> int:
    """Mark every unread in-app notification of the actor read; one audit row names them all."""
    now = now or timezone.now()
    unread = Notification.objects.select_for_update().filter(
        recipient=actor, channel=Channel.IN_APP, read_at__isnull=True,
    )
    ids = list(unread.values_list("pk", flat=True))
    if not ids:
        return 0
    count = Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
    audit_record(action="notification.read_all", object_type="user", object_id=actor.pk, actor=actor,
                 after={"notification_ids": ids, "read_at": now})
    return count
