"""Absolute links for messages, calendar feeds and pages.

`FRONTEND_URL` wins when it is set (production says where the pages are served). Unset, a link goes back to
the address of the request that caused it (so `runserver` on another port links to that port); outside any
request (a scheduled job) it falls back to the development server's address.
"""

import contextvars

from django.conf import settings
from django.core.exceptions import DisallowedHost

DEVELOPMENT_URL = "http://127.0.0.1:8000"

_request_origin = contextvars.ContextVar("request_origin", default="")


def bind_request_origin(request) -> contextvars.Token:
    try:
        origin = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        origin = ""
    return _request_origin.set(origin)


def reset_request_origin(token: contextvars.Token) -> None:
    _request_origin.reset(token)


def site_base() -> str:
    return (settings.FRONTEND_URL or _request_origin.get() or DEVELOPMENT_URL).rstrip("/")


def site_url(path: str) -> str:
    """`/bookings/7/` → `https://app.example.com/bookings/7/`."""
    return f"{site_base()}{path}"
