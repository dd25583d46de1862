"""The smoke test's own student and instructor: `make smoke` books, reschedules and cancels for them, never
for a real person, and they receive no email (in-app notifications only)."""

import secrets
from datetime import time

from django.db import transaction

from accounts.models import User
from accounts.services import user_create, user_update
from availability.models import AvailabilityPattern
from availability.services import pattern_create

SMOKE_STUDENT = "smoke-student@smoke-test.invalid"
SMOKE_INSTRUCTOR = "smoke-instructor@smoke-test.invalid"


def _account(*, email: str, role: str, training_level: str = "") -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user is None:
        # Nobody signs in as these accounts: the smoke test acts on them as operations staff.
        user = user_create(email=email, password=secrets.token_urlsafe(32), role=role, first_name="Smoke test",
                           last_name=role, training_level=training_level)
        created = True
    else:
        created = False
    if user.email_notifications:
        user = user_update(user=user, email_notifications=False)
    return user, created


@transaction.atomic
def smoke_accounts_ensure() -> dict:
    """Create what is missing (safe to run again): the two accounts, email off, the instructor free all week."""
    student, student_created = _account(email=SMOKE_STUDENT, role="student", training_level="private_pilot")
    instructor, instructor_created = _account(email=SMOKE_INSTRUCTOR, role="instructor")
    windows = 0
    covered = set(AvailabilityPattern.objects.filter(instructor=instructor).values_list("weekday", flat=True))
    for weekday in sorted(set(range(7)) - covered):
        pattern_create(actor=None, weekday=weekday, start_time=time(0), end_time=time(23, 59, 59),
                       instructor=instructor)
        windows += 1
    return {"student": student, "instructor": instructor, "created": int(student_created) + int(instructor_created),
            "windows": windows}
