"""One error type for the whole application and one handler that shapes every API error body.

Every error answer is `{"message": str, "code": str, "fields": {field: [messages]}}`, plus any extra
keys the error carries (a booking conflict names the conflicting bookings).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A domain error with a stable `code`; `retryable` tells callers whether trying again can help."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None,
                 status_code: int | None = None, extra: dict | None = None, retryable: bool = False):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.fields = fields or {}
        self.extra = extra or {}
        self.retryable = retryable
        if status_code is not None:
            self.status_code = status_code

    def as_body(self) -> dict:
        return {"message": self.message, "code": self.code, "fields": self.fields, **self.extra}


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


def int_or_404(value) -> int:
    """An id from a URL: anything but an integer names no object, so it is 404, never 400 or 500."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFoundError("Not found.")


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        out = {}
        for key, value in detail.items():
            name = "non_field_errors" if key == "__all__" else key
            if isinstance(value, dict):
                out[name] = _field_errors(value)
            elif isinstance(value, list):
                out[name] = [_flatten(v) for v in value]
            else:
                out[name] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [_flatten(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def _flatten(value):
    if isinstance(value, dict):
        return _field_errors(value)
    if isinstance(value, list):
        return [_flatten(v) for v in value]
    return str(value)


def _first_message(fields: dict) -> str:
    for name, messages in fields.items():
        if isinstance(messages, list) and messages and isinstance(messages[0], str):
            return messages[0] if name == "non_field_errors" else f"{name}: {messages[0]}"
    return "Invalid input."


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_body(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        body = {"message": _first_message(fields), "code": "invalid", "fields": fields}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(detail, dict) and "detail" in detail:
            # simplejwt wraps its errors as {"detail", "code", "messages"}.
            message, code = str(detail["detail"]), str(detail.get("code") or "error")
        else:
            message = str(detail) if not isinstance(detail, (list, dict)) else "Request failed."
            code = codes if isinstance(codes, str) else "error"
        body = {"message": message, "code": code, "fields": {}}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            body["retry_after_seconds"] = int(exc.wait)
    response.data = body
    return response
