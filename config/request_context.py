"""The id of the request or job being served, for log lines and audit rows."""

import contextvars
import logging
import time
import uuid
from contextlib import contextmanager

from django.db import DatabaseError, connections

_request_id = contextvars.ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str):
    return _request_id.set(value)


def reset_request_id(token) -> None:
    _request_id.reset(token)


logger = logging.getLogger(__name__)


@contextmanager
def job_context(name: str):
    """Jobs get an id too, so every log line and audit row of one run can be found together.

    Leaving it, each run writes its heartbeat metrics (JobRuns, JobFailures, JobSeconds with Job=`name`),
    also when the job raised: the job's own figures are written only by a run that got that far.
    """
    from audit.metrics import emit_job_run

    token = bind_request_id(f"{name}-{uuid.uuid4().hex[:12]}")
    started = time.monotonic()
    failed = True
    try:
        yield current_request_id()
        failed = False
    except DatabaseError:
        _close_broken_connections()
        raise
    finally:
        try:
            emit_job_run(name, failed=failed, seconds=time.monotonic() - started)
        except Exception:
            # The run's own outcome (or its exception) matters more than its heartbeat line.
            logger.exception("could not write the heartbeat metrics of %s", name)
        reset_request_id(token)


def _close_broken_connections() -> None:
    """A connection the server dropped while no transaction was open stays broken until something closes it
    (Django does at the end of each request, which a job has not): closed here, the next run in this process
    connects afresh."""
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.in_atomic_block and not conn.is_usable():
            conn.close()
