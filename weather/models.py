from django.db import models

from accounts.models import TrainingLevel
from bookings.models import WeatherStatus


class WeatherMinimums(models.Model):
    """The weather a pilot of one training level may fly in. A value exactly at a limit passes."""

    training_level = models.CharField(max_length=32, choices=TrainingLevel.choices, unique=True)
    ceiling_ft = models.PositiveIntegerField(help_text="Lowest ceiling allowed, feet above ground.")
    visibility_sm = models.DecimalField(max_digits=4, decimal_places=2, help_text="Lowest visibility, statute miles.")
    wind_kt = models.PositiveIntegerField(help_text="Highest sustained wind, knots.")
    gust_kt = models.PositiveIntegerField(help_text="Highest gust, knots.")
    crosswind_kt = models.PositiveIntegerField(help_text="Highest crosswind on the best runway, knots.")
    imc_allowed = models.BooleanField(default=False, help_text="May fly below VFR (ceiling 1000 ft, 3 sm).")
    night_allowed = models.BooleanField(
        default=True, help_text="May fly between evening and morning civil twilight (a student's night "
                                "endorsement lifts a no).")
    solo_visibility_margin_sm = models.DecimalField(
        max_digits=4, decimal_places=2, default=1, help_text="A solo lesson needs this much more visibility, sm.")
    solo_ceiling_margin_ft = models.PositiveIntegerField(
        default=500, help_text="A solo lesson needs this much higher a ceiling, feet.")
    solo_wind_margin_kt = models.PositiveIntegerField(
        default=2, help_text="A solo lesson's wind, gust and crosswind limits are this much lower, knots.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ceiling_ft"]
        verbose_name = "weather minimums"
        verbose_name_plural = "weather minimums"
        constraints = [
            models.CheckConstraint(name="minimums_gust_not_below_wind",
                                   condition=models.Q(gust_kt__gte=models.F("wind_kt"))),
        ]

    def __str__(self) -> str:
        return self.get_training_level_display()

    def as_dict(self) -> dict:
        return {
            "training_level": self.training_level,
            "ceiling_ft": self.ceiling_ft,
            "visibility_sm": float(self.visibility_sm),
            "wind_kt": self.wind_kt,
            "gust_kt": self.gust_kt,
            "crosswind_kt": self.crosswind_kt,
            "imc_allowed": self.imc_allowed,
            "night_allowed": self.night_allowed,
            "solo_visibility_margin_sm": float(self.solo_visibility_margin_sm),
            "solo_ceiling_margin_ft": self.solo_ceiling_margin_ft,
            "solo_wind_margin_kt": self.solo_wind_margin_kt,
        }


class WeatherCheck(models.Model):
    """One judgement of a booking's window. A run that reaches the same judgement only moves `checked_at`."""

    booking = models.ForeignKey("bookings.Booking", on_delete=models.CASCADE, related_name="weather_checks")
    status = models.CharField(max_length=16, choices=WeatherStatus.choices)
    reasons = models.JSONField(default=list, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    training_level = models.CharField(max_length=32, blank=True)
    minimums = models.JSONField(default=dict, help_text="The minimums this check applied.")
    providers = models.JSONField(default=list, help_text="Each provider asked: answered or why not.")
    agreement = models.JSONField(default=dict, help_text="How far the providers that answered agreed.")
    points = models.JSONField(default=list, help_text="Per location and hour: the values judged.")
    confidence = models.JSONField(null=True, blank=True,
                                  help_text="How far to trust the window: its least firm judged hour.")
    fingerprint = models.CharField(max_length=64)
    run_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(help_text="When this judgement was first reached.")
    checked_at = models.DateTimeField(help_text="The latest run that reached it.")

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["booking", "-checked_at"], name="weathercheck_latest_idx")]

    def __str__(self) -> str:
        return f"Booking {self.booking_id}: {self.status} at {self.checked_at:%Y-%m-%d %H:%M}Z"


class ForecastSeries(models.Model):
    """The latest hourly forecast one provider gave for one location, kept so slots can be judged without HTTP.

    One row per location and provider (not per hour): a run rewrites only the series whose content changed.
    """

    location_key = models.CharField(max_length=32, help_text="ICAO code, or pt:LAT,LON for a corridor point.")
    provider = models.CharField(max_length=32)
    valid_from = models.DateTimeField(help_text="First hour of the series (UTC).")
    valid_until = models.DateTimeField(help_text="Last hour of the series (UTC).")
    hours = models.JSONField(default=list, help_text="One row per hour, columns as in weather.forecasts.COLUMNS.")
    digest = models.CharField(max_length=64)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["location_key", "provider"]
        verbose_name_plural = "forecast series"
        constraints = [
            models.UniqueConstraint(fields=["location_key", "provider"], name="forecast_series_unique"),
        ]
        indexes = [models.Index(fields=["valid_until"], name="forecast_series_until_idx")]

    def __str__(self) -> str:
        return f"{self.location_key} {self.provider} until {self.valid_until:%Y-%m-%d %H}Z"


class ProviderCall(models.Model):
    """One call to a provider during a monitor run (a batch of locations, retries included)."""

    run_id = models.CharField(max_length=64, blank=True, db_index=True)
    provider = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    locations = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    http_requests = models.PositiveIntegerField(default=0)
    ok = models.BooleanField()
    retryable = models.BooleanField(default=False, help_text="For a failure: whether a later retry could help.")
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["started_at", "provider"], name="providercall_time_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {'ok' if self.ok else 'failed'} at {self.started_at:%Y-%m-%d %H:%M}Z"


class ShardStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class MonitorShard(models.Model):
    """One part of a fanned-out weather monitor run: the bookings departing from `airport_ids` in the run's
    window. Claimed with a conditional UPDATE, so a retry takes over only a shard that failed or whose claim
    lapsed, and never one that finished; `verdicts_stored_at` lets a retry skip the fetch it already stored."""

    run_id = models.CharField(max_length=64)
    index = models.PositiveIntegerField()
    airport_ids = models.JSONField(default=list)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=ShardStatus.choices, default=ShardStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    verdicts_stored_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "index"]
        constraints = [models.UniqueConstraint(fields=["run_id", "index"], name="monitor_shard_once_per_run")]

    def __str__(self) -> str:
        return f"{self.run_id} shard {self.index}: {self.status}"
