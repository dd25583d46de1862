"""The id of the request or job being served, for log lines and audit rows."""

import contextvars
import logging
import time
import uuid
from contextlib import contextmanager

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
    finally:
        try:
            emit_job_run(name, failed=failed, seconds=time.monotonic() - started)
        except Exception:
            # The run's own outcome (or its exception) matters more than its heartbeat line.
            logger.exception("could not write the heartbeat metrics of %s", name)
        reset_request_id(token)
