"""Writes for people: creating and changing accounts, and signing in."""


from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User, new_calendar_token, normalize_email_address, validate_time_zone
from audit.selectors import audit_count_since
from audit.services import audit_record
from config.exceptions import ApplicationError

USER_AUDIT_FIELDS = ("email", "first_name", "last_name", "role", "training_level", "night_endorsement", "phone",
                     "time_zone", "email_notifications", "is_active")


class LoginThrottled(ApplicationError):
    status_code = 429
    default_code = "throttled"


class InvalidCredentials(ApplicationError):
    status_code = 401
    default_code = "invalid_credentials"


class SecondFactorRefused(InvalidCredentials):
    """The password was right but the one-time code was missing (`otp_required`), wrong or already used
    (`otp_invalid`), or the staff account has no authenticator enrolled (`otp_not_enrolled`)."""

    default_code = "otp_required"


_SECOND_FACTOR_MESSAGES = {
    "otp_required": ("Operations staff sign in with a one-time code: send otp_token, the 6-digit code "
                     "of your authenticator app.", "Required for operations staff."),
    "otp_invalid": ("The one-time code is wrong or was already used. Wait for the next code and try again.",
                    "Not a current code of your authenticator."),
    "otp_not_enrolled": ("This operations staff account has no authenticator enrolled: an administrator "
                         "enrols one with manage.py enrol_totp_device.", "No authenticator is enrolled."),
}


def user_snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in USER_AUDIT_FIELDS}


def _clean_profile(*, role: str, training_level: str, time_zone: str | None,
                   night_endorsement: bool = False) -> dict:
    errors = {}
    if night_endorsement and role != Role.STUDENT:
        errors["night_endorsement"] = ["Only students carry a night endorsement."]
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
                night_endorsement: bool = False, actor: User | None = None) -> User:
    email = normalize_email_address(email)
    errors = _clean_profile(role=role, training_level=training_level, time_zone=time_zone,
                            night_endorsement=night_endorsement)
    if User.objects.filter(email=email).exists():
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
        night_endorsement=bool(night_endorsement),
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
    if role != Role.STUDENT and "night_endorsement" not in changes:
        changes["night_endorsement"] = False
    errors = _clean_profile(role=role, training_level=training_level, time_zone=changes.get("time_zone"),
                            night_endorsement=changes.get("night_endorsement", user.night_endorsement))
    if "email" in changes:
        changes["email"] = normalize_email_address(changes["email"])
        if User.objects.filter(email=changes["email"]).exclude(pk=user.pk).exists():
            errors["email"] = ["A user with this email already exists."]
    if password is not None:
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ApplicationError("The user could not be updated.", fields=errors)
    deactivated = user.is_active and changes.get("is_active") is False
    for field, value in changes.items():
        setattr(user, field, value)
    if password is not None:
        # Every token issued under the old password stops working (CHECK_REVOKE_TOKEN), and so does the feed
        # address: whoever may have had the old password may have read it too.
        user.set_password(password)
        user.calendar_token = new_calendar_token()
    user.save()
    if deactivated:
        user_sign_out_everywhere(user=user, actor=actor, reason="deactivated")
    after = user_snapshot(user)
    if before != after or password is not None:
        audit_record(action="user.updated", object_type="user", object_id=user.pk, actor=actor,
                     before=before, after={**after, "password_changed": password is not None})
    return user


def _login_subject(account: User | None, email: str) -> str:
    """What failures are counted against: the account the address resolves to (by its stored address), or, when
    there is no such account, the address in its normal form. Never the string as typed, or each way of writing
    one address would get its own five guesses."""
    return account.email if account is not None else email


def _check_login_throttle(*, account: User | None, email: str, ip_address: str | None, now) -> None:
    since = now - settings.LOGIN_FAILURE_WINDOW
    retry_after = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    account_since = max(since, account.last_login) if account and account.last_login else since
    if audit_count_since(action="login.failed", since=account_since, object_id=_login_subject(account, email)) >= \
            settings.LOGIN_FAILURES_PER_ACCOUNT:
        raise LoginThrottled("Too many failed sign-in attempts for this account. Try again later.",
                             extra={"retry_after_seconds": retry_after})
    if ip_address and audit_count_since(action="login.failed", since=since, ip_address=ip_address) >= \
            settings.LOGIN_FAILURES_PER_ADDRESS:
        raise LoginThrottled("Too many failed sign-in attempts from this address. Try again later.",
                             extra={"retry_after_seconds": retry_after})


def staff_second_factor_required(user: User) -> bool:
    return bool(settings.ADMIN_REQUIRE_OTP and user.is_admin)


def _check_second_factor(*, user: User, otp_token: str | None, ip_address: str | None) -> None:
    from accounts.otp import TotpOutcome, totp_token_check

    if not otp_token:
        # The password was right: a client asking for the code next is not guessing, so this is not a failure.
        code = "otp_required"
        audit_record(action="login.otp_required", object_type="user", object_id=user.pk, actor=user,
                     ip_address=ip_address)
    else:
        outcome = totp_token_check(user=user, token=otp_token)
        if outcome == TotpOutcome.VERIFIED:
            return
        code = "otp_invalid" if outcome == TotpOutcome.WRONG else "otp_not_enrolled"
        # Counted like a wrong password, so guessing codes locks the account as guessing passwords does.
        audit_record(action="login.failed", object_type="user", object_id=user.email, ip_address=ip_address,
                     after={"reason": code})
    message, field_message = _SECOND_FACTOR_MESSAGES[code]
    raise SecondFactorRefused(message, code=code, fields={"otp_token": [field_message]})


def user_login(*, email: str, password: str, otp_token: str | None = None, second_factor: bool = False,
               ip_address: str | None = None, request=None, now=None) -> User:
    """Check credentials, throttling repeated failures per account and per client address.

    Failures are counted from the audit trail, so the limit holds across every process and Lambda
    container without a shared cache. With `second_factor` (the API's sign-in) operations staff also give
    `otp_token`, a current code of their TOTP device, where ADMIN_REQUIRE_OTP is on (production); a wrong
    code counts as a failure. The admin site checks its own code after the password, through django-otp.
    """
    now = now or timezone.now()
    email = normalize_email_address(email)
    account = User.objects.filter(email=email).only("pk", "email", "last_login").first()
    _check_login_throttle(account=account, email=email, ip_address=ip_address, now=now)
    user = authenticate(request, email=email, password=password)
    if user is None:
        audit_record(action="login.failed", object_type="user", object_id=_login_subject(account, email),
                     ip_address=ip_address)
        raise InvalidCredentials("Email or password is incorrect.")
    if second_factor and staff_second_factor_required(user):
        # Before last_login moves: a sign-in resets the account's failure count, which a code must earn first.
        _check_second_factor(user=user, otp_token=otp_token, ip_address=ip_address)
    update_last_login(None, user)
    audit_record(action="login.succeeded", object_type="user", object_id=user.pk, actor=user,
                 ip_address=ip_address)
    return user


@transaction.atomic
def user_sign_out_everywhere(*, user: User, actor: User | None = None, reason: str = "sign_out_everywhere",
                             now=None) -> User:
    """End every API token and session of `user`: tokens issued until now stop authenticating at once, and
    every outstanding refresh token is blacklisted as well."""
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    now = now or timezone.now()
    User.objects.filter(pk=user.pk).update(tokens_valid_after=now)
    user.tokens_valid_after = now
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=now, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                         ignore_conflicts=True)
    audit_record(action="user.signed_out_everywhere", object_type="user", object_id=user.pk, actor=actor,
                 after={"reason": reason, "tokens_valid_after": now})
    return user


@transaction.atomic
def user_logout(*, refresh: str, everywhere: bool = False) -> User | None:
    """Revoke one refresh token (the caller's), or with `everywhere` every token of its user."""
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import RefreshToken

    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise ApplicationError("This refresh token is not valid, or was already revoked.", code="token_not_valid",
                               fields={"refresh": ["Not a valid refresh token."]}, status_code=401)
    user = User.objects.filter(pk=token.payload.get("user_id")).first()
    token.blacklist()
    if user is not None:
        audit_record(action="user.logged_out", object_type="user", object_id=user.pk, actor=user,
                     after={"everywhere": everywhere})
        if everywhere:
            user_sign_out_everywhere(user=user, actor=user)
    return user


@transaction.atomic
def user_rotate_calendar_token(*, user: User, actor: User | None = None) -> User:
    """A new secret feed address; the old one stops working at once."""
    user.calendar_token = new_calendar_token()
    User.objects.filter(pk=user.pk).update(calendar_token=user.calendar_token)
    audit_record(action="user.calendar_token_rotated", object_type="user", object_id=user.pk, actor=actor)
    return user


def client_ip(request) -> str | None:
    """The caller's address as the server saw it.

    The first X-Forwarded-For hop is whatever the caller wrote, so trusting it would let one address spread
    its failed logins over invented ones. On Lambda, Zappa already sets REMOTE_ADDR to the hop API Gateway
    added; behind any other proxy, that proxy is the place to set it.
    """
    return request.META.get("REMOTE_ADDR") or None


