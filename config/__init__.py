"""The project's composition layer.

The Celery app is built on first use, not at import: a web process or a Lambda function with no broker never
loads Celery (about a fifth of a second of every cold start). `celery -A config worker` still finds it here,
and `config.apps.BackgroundWorkConfig` loads it at start-up where a broker is configured, so every
`shared_task` binds to it.
"""


def __getattr__(name: str):
    if name in ("app", "celery_app"):
        from .celery_app import app

        globals()["celery_app"] = app  # importing the submodule bound its name to the module
        return app
    raise AttributeError(f"module 'config' has no attribute {name!r}")


__all__ = ["celery_app"]
