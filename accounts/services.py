"""Writes for people: creating and changing accounts, and signing in."""


from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User, validate_time_zone
from audit.selectors import audit_count_since
from audit.services import audit_record
from config.exceptions import ApplicationError

USER_AUDIT_FIELDS = ("email", "first_name", "last_name", "role", "training_level", "phone", "time_zone",
                     "email_notifications", "is_active")


class LoginThrottled(ApplicationError):
    status_code = 429
    default_code = "throttled"


class InvalidCredentials(ApplicationError):
    status_code = 401
    default_code = "invalid_credentials"


def user_snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in USER_AUDIT_FIELDS}


def _clean_profile(*, role: str, training_level: str, time_zone: str | None) -> dict:
    errors = {}
    if role not in Role.values:
        errors["role"] = [f"Choose one of: {', '.join(Role.values)}."]
    if role == Role.STUDENT and not training_level:
        errors["training_level"] = ["A student needs a training level."]
    if role != Role.STUDENT and training_level:
        errors["training_level"] = ["Only students have a training level."]
    if time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationError as exc:
            errors["time_zone"] = exc.messages
    return errors


@transaction.atomic
def user_create(*, email: str, password: str, role: str, first_name: str = "", last_name: str = "",
                training_level: str = "", phone: str = "", time_zone: str | None = None,
                actor: User | None = None) -> User:
    email = User.objects.normalize_email(email).lower()
    errors = _clean_profile(role=role, training_level=training_level, time_zone=time_zone)
    if User.objects.filter(email__iexact=email).exists():
        errors["email"] = ["A user with this email already exists."]
    candidate = User(email=email, first_name=first_name, last_name=last_name, role=role)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ApplicationError("The user could not be created.", fields=errors)
    user = User.objects.create_user(
        email=email, password=password, role=role, first_name=first_name, last_name=last_name,
        training_level=training_level, phone=phone, time_zone=time_zone or settings.SCHOOL_TIME_ZONE,
    )
    audit_record(action="user.created", object_type="user", object_id=user.pk, actor=actor,
                 after=user_snapshot(user))
    return user


@transaction.atomic
def user_update(*, user: User, actor: User | None = None, password: str | None = None, **changes) -> User:
    """Change profile fields (and, when given, the password) of one user."""
    allowed = set(USER_AUDIT_FIELDS)
    unknown = set(changes) - allowed
    if unknown:
        raise ApplicationError("Unknown fields.", fields={name: ["Not a user field."] for name in unknown})
    before = user_snapshot(user)
    role = changes.get("role", user.role)
    training_level = changes.get("training_level", user.training_level if role == Role.STUDENT else "")
    changes["training_level"] = training_level
    errors = _clean_profile(role=role, training_level=training_level, time_zone=changes.get("time_zone"))
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"]).lower()
        if User.objects.filter(email__iexact=changes["email"]).exclude(pk=user.pk).exists():
            errors["email"] = ["A user with this email already exists."]
    if password is not None:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ApplicationError("The user could not be updated.", fields=errors)
    for field, value in changes.items():
        setattr(user, field, value)
    if password is not None:
        user.set_password(password)
    user.save()
    after = user_snapshot(user)
    if before != after or password is not None:
        audit_record(action="user.updated", object_type="user", object_id=user.pk, actor=actor,
                     before=before, after={**after, "password_changed": password is not None})
    return user


def _check_login_throttle(*, email: str, ip_address: str | None, now) -> None:
    since = now - settings.LOGIN_FAILURE_WINDOW
    retry_after = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    account = User.objects.filter(email__iexact=email).only("last_login").first()
    account_since = max(since, account.last_login) if account and account.last_login else since
    if audit_count_since(action="login.failed", since=account_since, object_id=email) >= \
            settings.LOGIN_FAILURES_PER_ACCOUNT:
        raise LoginThrottled("Too many failed sign-in attempts for this account. Try again later.",
                             extra={"retry_after_seconds": retry_after})
    if ip_address and audit_count_since(action="login.failed", since=since, ip_address=ip_address) >= \
            settings.LOGIN_FAILURES_PER_ADDRESS:
        raise LoginThrottled("Too many failed sign-in attempts from this address. Try again later.",
                             extra={"retry_after_seconds": retry_after})


def user_login(*, email: str, password: str, ip_address: str | None = None, request=None, now=None) -> User:
    """Check credentials, throttling repeated failures per account and per client address.

    Failures are counted from the audit trail, so the limit holds across every process and Lambda
    container without a shared cache.
    """
    now = now or timezone.now()
    email = (email or "").strip().lower()
    _check_login_throttle(email=email, ip_address=ip_address, now=now)
    user = authenticate(request, email=email, password=password)
    if user is None:
        audit_record(action="login.failed", object_type="user", object_id=email, ip_address=ip_address)
        raise InvalidCredentials("Email or password is incorrect.")
    update_last_login(None, user)
    audit_record(action="login.succeeded", object_type="user", object_id=user.pk, actor=user,
                 ip_address=ip_address)
    return user


def client_ip(request) -> str | None:
    """The caller's address as the server saw it.

    The first X-Forwarded-For hop is whatever the caller wrote, so trusting it would let one address spread
    its failed logins over invented ones. On Lambda, Zappa already sets REMOTE_ADDR to the hop API Gateway
    added; behind any other proxy, that proxy is the place to set it.
    """
    return request.META.get("REMOTE_ADDR") or None


