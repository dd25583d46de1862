from django.conf import settings
from django.db import models
from django.db.models import Q


class NotificationKind(models.TextChoices):
    WEATHER_CONFLICT = "weather_conflict", "Weather conflict"
    OPTIONS_READY = "options_ready", "Reschedule options ready"
    RESCHEDULE_REMINDER = "reschedule_reminder", "Reschedule reminder"
    RESCHEDULE_CONFIRMED = "reschedule_confirmed", "Reschedule confirmed"
    WEATHER_CLEARED = "weather_cleared", "Weather cleared"
    REQUEST_EXPIRED = "request_expired", "Reschedule request expired"
    REQUEST_DECLINED = "request_declined", "Reschedule request declined"
    NO_OPTIONS = "no_options", "No reschedule options found"
    WEATHER_UNKNOWN = "weather_unknown", "Weather unknown"
    MAINTENANCE_HOLD = "maintenance_hold", "Aircraft grounded: flight on hold"
    MAINTENANCE_CLEARED = "maintenance_cleared", "Aircraft back in service"
    STANDBY_BOOKED = "standby_booked", "Booked from standby"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    IN_APP = "in_app", "In-app"


class NotificationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One message to one person on one channel.

    Subject and bodies are rendered when the notification is created, so every retry sends the very same
    message. Email delivery is claimed with a conditional UPDATE (`claim_token`, `claimed_until`): a claim
    that outlives `claimed_until` belonged to a worker that died, and the next run may take it over.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    status = models.CharField(max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    idempotency_key = models.CharField(max_length=200)

    booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications",
    )
    # A plain id, not a foreign key: the message must outlive the request it points to, and the link in
    # `link` is what the reader follows.
    reschedule_request_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    link = models.URLField(max_length=500, blank=True)

    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    event_at = models.DateTimeField(
        null=True, blank=True, help_text="When the event behind this message happened (e.g. weather detection).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key", "recipient", "channel"], name="notification_once_per_key",
            ),
            models.CheckConstraint(
                name="notification_sent_has_sent_at",
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="notification_due_idx", condition=Q(status="pending"),
            ),
            models.Index(
                fields=["recipient", "created_at"], name="notification_unread_idx",
                condition=Q(channel="in_app", read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "channel", "created_at"], name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id} by {self.channel} ({self.status})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
