from django.conf import settings
from django.db import models
from django.db.models import F, Q


class AvailabilityPattern(models.Model):
    """A weekly recurring window when an instructor or an aircraft can fly, in the school's time zone."""

    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="availability_patterns",
    )
    aircraft = models.ForeignKey(
        "bookings.Aircraft", on_delete=models.CASCADE, null=True, blank=True, related_name="availability_patterns",
    )
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday … 6 = Sunday")
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                name="pattern_for_instructor_or_aircraft",
                condition=(Q(instructor__isnull=False, aircraft__isnull=True)
                           | Q(instructor__isnull=True, aircraft__isnull=False)),
            ),
            models.CheckConstraint(name="pattern_weekday_range", condition=Q(weekday__gte=0, weekday__lte=6)),
            models.CheckConstraint(name="pattern_ends_after_start", condition=Q(end_time__gt=F("start_time"))),
            models.CheckConstraint(
                name="pattern_valid_range",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        who = self.instructor or self.aircraft
        return f"{who}: weekday {self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """A dated block (time off, maintenance) that beats any pattern."""

    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="availability_exceptions",
    )
    aircraft = models.ForeignKey(
        "bookings.Aircraft", on_delete=models.CASCADE, null=True, blank=True,
        related_name="availability_exceptions",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                name="exception_for_instructor_or_aircraft",
                condition=(Q(instructor__isnull=False, aircraft__isnull=True)
                           | Q(instructor__isnull=True, aircraft__isnull=False)),
            ),
            models.CheckConstraint(name="exception_ends_after_start", condition=Q(end__gt=F("start"))),
        ]

    def __str__(self) -> str:
        who = self.instructor or self.aircraft
        return f"{who}: unavailable {self.start:%Y-%m-%d %H:%M}Z-{self.end:%Y-%m-%d %H:%M}Z {self.reason}"
