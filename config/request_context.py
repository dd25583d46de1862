"""The id of the request or job being served, for log lines and audit rows."""

import contextvars
import uuid
from contextlib import contextmanager

_request_id = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


@contextmanager
def job_context(name: str):
    """Jobs get an id too, so every log line and audit row of one run can be found together."""
    token = bind_request_id(f"{name}-{uuid.uuid4().hex[:12]}")
    try:
        yield current_request_id()
    finally:
        reset_request_id(token)
