import secrets
import unicodedata
import zoneinfo

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    STUDENT = "student", "Student"
    INSTRUCTOR = "instructor", "Instructor"
    ADMIN = "admin", "Operations staff"


class TrainingLevel(models.TextChoices):
    STUDENT_PILOT = "student_pilot", "Student pilot"
    PRIVATE_PILOT = "private_pilot", "Private pilot"
    INSTRUMENT_RATED = "instrument_rated", "Instrument rated"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


def normalize_email_address(value: str | None) -> str:
    """The one form in which emails are stored and compared: NFKC, then case folded (and NFKC again, as folding
    can undo it). "ſtudent@…" (long s) and "STUDENT@…" are the same address as "student@…"; anything that
    still differs after folding is another address, matched exactly, never by the database's own case rules."""
    text = unicodedata.normalize("NFKC", (value or "").strip())
    return unicodedata.normalize("NFKC", text.casefold())


def default_time_zone() -> str:
    return settings.SCHOOL_TIME_ZONE


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"{value!r} is not an IANA time zone.") from exc


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("role", Role.ADMIN)
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person at the school. Email is the login; the role decides what they may see and do."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STUDENT, db_index=True)
    training_level = models.CharField(max_length=32, choices=TrainingLevel.choices, blank=True, default="")
    night_endorsement = models.BooleanField(
        default=False, help_text="A student endorsed for night flight: their level's no-night rule does not apply.")
    phone = models.CharField(max_length=32, blank=True)
    time_zone = models.CharField(max_length=64, default=default_time_zone, validators=[validate_time_zone])
    email_notifications = models.BooleanField(default=True, help_text="Send notifications by email as well as in-app.")
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token, editable=False)
    is_active = models.BooleanField(default=True)
    # "Sign out everywhere": API tokens issued up to this moment no longer authenticate, and sessions end.
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.CheckConstraint(
                name="student_has_training_level",
                condition=~Q(role="student") | ~Q(training_level=""),
            ),
            models.CheckConstraint(
                name="only_students_have_training_level",
                condition=Q(role="student") | Q(training_level=""),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = normalize_email_address(self.email)

    def get_session_auth_hash(self):
        # Sessions end on a password change (Django's rule) and on "sign out everywhere" (ours).
        if self.tokens_valid_after is None:
            return super().get_session_auth_hash()
        from django.utils.crypto import salted_hmac

        return salted_hmac("accounts.User.get_session_auth_hash",
                           f"{self.password}|{self.tokens_valid_after.isoformat()}", algorithm="sha256").hexdigest()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def is_admin(self) -> bool:
        """Operations staff: the admin role, or any Django superuser."""
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    # Operations staff work in the Django admin with full rights; nobody else enters it.
    @property
    def is_staff(self) -> bool:
        return self.is_admin

    def has_perm(self, perm, obj=None) -> bool:
        return self.is_admin or super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        return self.is_admin or super().has_module_perms(app_label)
