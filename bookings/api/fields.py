from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from accounts.models import Role, User
from accounts.selectors import role_members
from bookings.models import Aircraft
from config.relations import KeyedRelatedField


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that must carry its UTC offset: a naive time is ambiguous at a school across zones."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-05-01T14:00:00Z.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # well-formed but impossible, e.g. minute 99: the parent reports it as invalid
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


def validated_for_requester(serializer_class, request) -> dict:
    """Validated input for a booking or a standby request: left out, the student is the one asking."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data.setdefault("student", request.user)
    return data


def student_field(**kwargs) -> KeyedRelatedField:
    """A student named by id: an active account with the student role."""
    return KeyedRelatedField(model=User, match=role_members(Role.STUDENT), **kwargs)


def instructor_field(**kwargs) -> KeyedRelatedField:
    """An instructor named by id: an active account with the instructor role."""
    return KeyedRelatedField(model=User, match=role_members(Role.INSTRUCTOR), **kwargs)


def aircraft_field(**kwargs) -> KeyedRelatedField:
    """An aircraft of the fleet named by id."""
    return KeyedRelatedField(model=Aircraft, **kwargs)
