"""Request hygiene at the edge, before any view sees the request."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponseBadRequest, JsonResponse

logger = logging.getLogger(__name__)


class RejectNulBytesMiddleware:
    """A NUL character in a query string or form can never be stored or searched in PostgreSQL text, and would
    otherwise reach the database as an error (500). It is refused as bad input, in the API's error shape.
    Bodies need no check here: DRF's and Django's form fields already refuse NUL characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse({"message": message, "code": "invalid", "fields": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


API_PREFIX = "/api/"
_DATABASE_DOWN = (OperationalError, InterfaceError)
_GENERIC = {
    400: ("Bad request.", "invalid"),
    403: ("You do not have permission to do this.", "permission_denied"),
    404: ("Not found.", "not_found"),
    405: ("Method not allowed.", "method_not_allowed"),
    413: ("The request body is too large.", "request_too_large"),
    500: ("Something went wrong on our side; it has been logged.", "server_error"),
}


def _error(status: int, message: str | None = None, code: str | None = None) -> JsonResponse:
    default_message, default_code = _GENERIC.get(status, ("Request failed.", "error"))
    return JsonResponse({"message": message or default_message, "code": code or default_code, "fields": {}},
                        status=status)


class ApiErrorsAsJsonMiddleware:
    """Everything under /api/ answers JSON in the one error shape, whoever produced the answer: an unmatched
    path (Django's 404 page), a body over DATA_UPLOAD_MAX_MEMORY_SIZE (413, refused before anything reads it),
    an unexpected error (500), and a database that cannot be reached (503 with Retry-After, like /health)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _error(400, "The Content-Length header is not a number.")
        if limit is not None and length > limit:
            return _error(413, f"The request body is too large: at most {limit} bytes.")
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replacement = _error(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replacement[header] = response[header]
            return replacement
        return response

    def process_exception(self, request, exception):
        if not request.path.startswith(API_PREFIX) or not isinstance(exception, _DATABASE_DOWN):
            return None
        logger.error("Database unavailable while answering %s %s: %s", request.method, request.path, exception)
        response = _error(503, "The service is briefly unavailable; try again shortly.", "service_unavailable")
        response["Retry-After"] = str(settings.DATABASE_UNAVAILABLE_RETRY_AFTER_SECONDS)
        return response
