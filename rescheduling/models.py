from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

# A request lives at most this long, and never past half an hour before the original departure.
REQUEST_MAX_AGE = timedelta(hours=12)
DECIDE_BEFORE_DEPARTURE = timedelta(minutes=30)
REMINDER_BEFORE_EXPIRY = timedelta(hours=2)
# Options asked for on demand are not regenerated for the same booking more often than this: each request
# emails the student and the instructor, and the forecast does not change by the minute.
ON_DEMAND_COOLDOWN = timedelta(minutes=15)


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    SUPERSEDED = "superseded", "Superseded"


class OptionSource(models.TextChoices):
    AI = "ai", "Ranked by Claude"
    RULES = "rules", "Ranked by rules"


class RescheduleRequest(models.Model):
    """Options offered for one booking put on weather hold (or rescheduled on demand)."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="reschedule_requests")
    status = models.CharField(max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    reasons = models.JSONField(default=list, blank=True, help_text="Why the booking needs a new slot.")
    # When the conflict was first detected; carried over when options are regenerated so the
    # conflict-to-confirmed figure measures what the student lived through, not the last regeneration.
    detected_at = models.DateTimeField()
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    closed_reason = models.CharField(max_length=64, blank=True,
                                     help_text="Why a request was superseded or closed, e.g. weather_cleared.")
    replacement_booking = models.ForeignKey(
        "bookings.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="reschedule_status_expiry_idx"),
            models.Index(fields=["created_at"], name="reschedule_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="pending"), name="one_pending_request_per_booking",
            ),
        ]

    def __str__(self) -> str:
        return f"Reschedule request {self.pk} for booking {self.booking_id} ({self.status})"

    @property
    def reminder_due_at(self):
        return self.expires_at - REMINDER_BEFORE_EXPIRY


class RescheduleOption(models.Model):
    """One slot the solver found; never anything else."""

    request = models.ForeignKey(RescheduleRequest, on_delete=models.CASCADE, related_name="options")
    rank = models.PositiveSmallIntegerField()
    candidate_id = models.CharField(max_length=64)
    start = models.DateTimeField()
    end = models.DateTimeField()
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    aircraft = models.ForeignKey("bookings.Aircraft", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=8, choices=OptionSource.choices)
    rationale = models.TextField()
    weather_status = models.CharField(max_length=16)
    weather_reasons = models.JSONField(default=list, blank=True)
    forecast_known = models.BooleanField(default=True)
    confidence = models.JSONField(null=True, blank=True,
                                  help_text="How far to trust the slot's forecast: score, level, word, basis.")
    score = models.FloatField(default=0)
    unavailable_at = models.DateTimeField(null=True, blank=True)
    unavailable_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["request", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["request", "rank"], name="option_rank_unique_per_request"),
            models.UniqueConstraint(fields=["request", "candidate_id"], name="option_candidate_unique_per_request"),
        ]

    def __str__(self) -> str:
        return f"Option {self.rank} of request {self.request_id}: {self.start:%Y-%m-%d %H:%M}Z"

    @property
    def is_available(self) -> bool:
        return self.unavailable_at is None
