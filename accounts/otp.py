"""Time-based one-time passwords for operations staff: enrolling a device, and checking a code where the
admin site (config.otp) or the API's sign-in (accounts.services.user_login) asks for one."""

from enum import StrEnum

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from audit.services import audit_record
from config.exceptions import ApplicationError


@transaction.atomic
def totp_device_enrol(*, user: User, name: str = "authenticator", replace: bool = False,
                      actor: User | None = None) -> TOTPDevice:
    """A confirmed TOTP device for an admin. `replace` removes the old ones (a lost phone)."""
    if not user.is_admin:
        raise ApplicationError("Only operations staff use the admin site.", code="not_admin",
                               fields={"user": ["This account is not operations staff."]})
    existing = TOTPDevice.objects.devices_for_user(user, confirmed=None)
    removed = [device.name for device in existing] if replace else []
    if replace:
        existing.delete()
    device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
    audit_record(action="otp.device_enrolled", object_type="user", object_id=user.pk, actor=actor,
                 before={"removed_devices": removed} if removed else None,
                 after={"device": device.name, "device_id": device.pk})
    return device


class TotpOutcome(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"  # not a current code of any device, already used, or the device is backing off
    NOT_ENROLLED = "not_enrolled"


def totp_token_check(*, user: User, token: str) -> TotpOutcome:
    """Check `token` against the user's confirmed TOTP devices.

    Each device is locked while it is checked, so one code opens one sign-in even when two arrive at once;
    django-otp refuses a code it already accepted and makes a device wait longer after each wrong code.
    """
    with transaction.atomic():
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update())
        if not devices:
            return TotpOutcome.NOT_ENROLLED
        if any(device.verify_token(token) for device in devices):
            return TotpOutcome.VERIFIED
    return TotpOutcome.WRONG
