import re
import uuid

from django.core.signals import request_finished

from config.request_context import bind_request_id

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Gives every request an id (the caller's X-Request-ID when sane), for logs, audit rows and the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        bind_request_id(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _forget_request_id(**kwargs):
    # Cleared only when the response is finished: Django logs 4xx/5xx answers after the middleware returns.
    bind_request_id("")


request_finished.connect(_forget_request_id, dispatch_uid="forget_request_id")
