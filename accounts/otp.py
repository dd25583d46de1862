"""Enrolling operations staff in time-based one-time passwords for the Django admin (see config.otp)."""

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
