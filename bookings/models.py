from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from config.localtime import format_local, format_local_range


def validate_runway_headings(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, int) and 1 <= v <= 360 for v in value):
        raise ValidationError("Runway headings are a list of whole degrees from 1 to 360, e.g. [130, 310].")


class Airport(models.Model):
    """An airport from the bundled airport database, created the first time a booking names it."""

    icao = models.CharField(max_length=4, unique=True)
    name = models.CharField(max_length=200)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    elevation_ft = models.FloatField(default=0)
    time_zone = models.CharField(max_length=64)
    runway_headings = models.JSONField(
        default=list, blank=True, validators=[validate_runway_headings],
        help_text="True headings of the runway ends in degrees, e.g. [130, 310]; used to judge crosswind.",
    )

    class Meta:
        ordering = ["icao"]

    def __str__(self) -> str:
        return f"{self.icao} {self.name}"


class AircraftStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    MAINTENANCE = "maintenance", "In maintenance"


class Aircraft(models.Model):
    tail_number = models.CharField(max_length=16, unique=True)
    model = models.CharField(max_length=100, db_index=True)
    home_airport = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="based_aircraft")
    status = models.CharField(max_length=16, choices=AircraftStatus.choices, default=AircraftStatus.AVAILABLE)
    max_crosswind_kt = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Maximum demonstrated crosswind from the POH, knots; a flight is judged by the lower of this "
                  "and the pilot's limit. Empty: the pilot's limit alone.")
    ifr_equipped = models.BooleanField(
        default=False, help_text="Equipped and current for flight in instrument conditions.")

    class Meta:
        ordering = ["tail_number"]
        verbose_name_plural = "aircraft"

    def __str__(self) -> str:
        return f"{self.tail_number} ({self.model})"


class BookingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    COMPLETED = "completed", "Completed"
    WEATHER_HOLD = "weather_hold", "Weather hold"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"


# Bookings in these statuses hold their student, instructor and aircraft: no overlap is allowed among them.
ACTIVE_STATUSES = (BookingStatus.SCHEDULED, BookingStatus.CONFIRMED, BookingStatus.WEATHER_HOLD)


class HoldReason(models.TextChoices):
    """Why a booking in `weather_hold` is held: both kinds offer options the same way."""

    WEATHER = "weather", "Weather"
    MAINTENANCE = "maintenance", "Aircraft grounded (maintenance)"


class WeatherStatus(models.TextChoices):
    UNKNOWN = "unknown", "Unknown"
    OK = "ok", "OK"
    MARGINAL = "marginal", "Marginal"
    CONFLICT = "conflict", "Conflict"


class LessonType(models.TextChoices):
    DUAL = "dual", "Dual"
    SOLO = "solo", "Solo"
    CROSS_COUNTRY = "cross_country", "Cross-country"
    CHECKRIDE = "checkride", "Checkride"


class CancelReason(models.TextChoices):
    WEATHER = "weather", "Weather"
    MAINTENANCE = "maintenance", "Aircraft maintenance"
    ILLNESS = "illness", "Illness"
    STUDENT = "student", "Student's request"
    INSTRUCTOR = "instructor", "Instructor unavailable"
    OTHER = "other", "Other"


class Booking(models.Model):
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="student_bookings")
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="instructor_bookings",
    )
    aircraft = models.ForeignKey(Aircraft, on_delete=models.PROTECT, related_name="bookings")
    departure_airport = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="departures")
    destination_airport = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="arrivals")
    start = models.DateTimeField()
    end = models.DateTimeField()
    lesson_type = models.CharField(max_length=16, choices=LessonType.choices, default=LessonType.DUAL)
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.SCHEDULED)
    # The status a weather hold interrupted, so clearing the hold can put it back.
    status_before_hold = models.CharField(max_length=16, choices=BookingStatus.choices, blank=True, default="")
    # Set while the booking is held: the weather monitor releases only weather holds, and only returning
    # the aircraft to service releases a maintenance hold.
    hold_reason = models.CharField(max_length=16, choices=HoldReason.choices, blank=True, default="")
    weather_status = models.CharField(max_length=16, choices=WeatherStatus.choices, default=WeatherStatus.UNKNOWN)
    weather_checked_at = models.DateTimeField(null=True, blank=True)
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to",
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )
    cancel_reason = models.TextField(blank=True)
    cancel_reason_code = models.CharField(max_length=16, choices=CancelReason.choices, blank=True, default="")
    # A student's own cancellation inside the school's cut-off (CANCELLATION_CUTOFF_HOURS): staff follow these up.
    late_cancellation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["status", "start"], name="booking_status_start_idx"),
            models.Index(fields=["aircraft", "start"], name="booking_aircraft_start_idx"),
            models.Index(fields=["instructor", "start"], name="booking_instructor_start_idx"),
            models.Index(fields=["student", "start"], name="booking_student_start_idx"),
            # Operations staff's bookings list pages through every booking in this order.
            models.Index(fields=["start", "id"], name="booking_start_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="booking_ends_after_start", condition=Q(end__gt=F("start"))),
            models.CheckConstraint(
                name="booking_solo_has_no_instructor",
                condition=(Q(lesson_type="solo", instructor__isnull=True)
                           | (~Q(lesson_type="solo") & Q(instructor__isnull=False))),
            ),
        ]

    def __str__(self) -> str:
        # In the school's zone with its name, and the aircraft by its tail number: how staff know a flight.
        return f"Booking {self.pk}: {self.student}, {format_local(self.start)}, {self.aircraft.tail_number}"

    @property
    def when_local(self) -> str:
        """`Wed 02 Dec 16:00–18:00 PST`, on the departure airport's clock."""
        return format_local_range(self.start, self.end, self.departure_airport)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration(self):
        return self.end - self.start


class Squawk(models.Model):
    """A defect written up against an aircraft. An open grounding squawk keeps the aircraft in maintenance."""

    aircraft = models.ForeignKey(Aircraft, on_delete=models.PROTECT, related_name="squawks")
    text = models.TextField()
    grounding = models.BooleanField(default=False, help_text="The aircraft may not fly until this is cleared.")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    cleared_at = models.DateTimeField(null=True, blank=True)
    clearing_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["aircraft", "cleared_at"], name="squawk_aircraft_open_idx")]
        constraints = [
            models.CheckConstraint(
                name="squawk_cleared_has_who",
                condition=Q(cleared_at__isnull=True) | Q(cleared_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Squawk {self.pk} on {self.aircraft_id}: {self.text[:40]}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class StandbyStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"


class StandbyRequest(models.Model):
    """A student waiting for a taken slot: on one aircraft, or on any aircraft of a model.

    When a booking there is cancelled or moved, the oldest waiting request that still passes every booking rule
    becomes a booking (`booking`), and the others keep waiting. A request expires at the slot's start.
    """

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="standby_requests")
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    # One aircraft, or (aircraft empty) any aircraft of `aircraft_model`.
    aircraft = models.ForeignKey(Aircraft, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="standby_requests")
    aircraft_model = models.CharField(max_length=100, db_index=True)
    departure_airport = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+")
    destination_airport = models.ForeignKey(Airport, on_delete=models.PROTECT, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    lesson_type = models.CharField(max_length=16, choices=LessonType.choices, default=LessonType.DUAL)
    status = models.CharField(max_length=16, choices=StandbyStatus.choices, default=StandbyStatus.WAITING)
    booking = models.OneToOneField(Booking, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="from_standby")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # First come, first served: promotion takes the oldest waiting request.
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "start"], name="standby_status_start_idx")]
        constraints = [
            models.CheckConstraint(name="standby_ends_after_start", condition=Q(end__gt=F("start"))),
        ]

    def __str__(self) -> str:
        what = self.aircraft.tail_number if self.aircraft_id else f"any {self.aircraft_model}"
        return f"Standby {self.pk}: {self.student}, {format_local(self.start)}, {what}"

    @property
    def when_local(self) -> str:
        return format_local_range(self.start, self.end, self.departure_airport)

    @property
    def what(self) -> str:
        """`N172FS` or `any Cessna 172S`: what the student waits for."""
        return self.aircraft.tail_number if self.aircraft_id else f"any {self.aircraft_model}"
