from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The top of the app layers: what reads or builds across every app (school metrics, the audit trail's API
    for operations staff, the demo school). Nothing below imports it."""

    name = "operations"
