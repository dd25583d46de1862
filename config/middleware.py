import re
import uuid

from django.core.signals import request_finished
from django.urls import reverse
from django.utils import timezone

from config.links import bind_request_origin, reset_request_origin
from config.localtime import school_zone
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


class RequestOriginMiddleware:
    """Remembers the address this request came in on, so links written while serving it point back there
    when FRONTEND_URL is unset (see config.links)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = bind_request_origin(request)
        try:
            return self.get_response(request)
        finally:
            reset_request_origin(token)


class AdminInSchoolTimeMiddleware:
    """The admin shows date-times in the school's zone, labelled (config/formats): staff think in local time.
    The API and the pages choose their zones themselves and are left alone."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None

    def __call__(self, request):
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        if not request.path.startswith(self._admin_prefix):
            return self.get_response(request)
        timezone.activate(school_zone())
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _forget_request_id(**kwargs):
    # Cleared only when the response is finished: Django logs 4xx/5xx answers after the middleware returns.
    bind_request_id("")


request_finished.connect(_forget_request_id, dispatch_uid="forget_request_id")
