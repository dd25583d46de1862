from django.apps import AppConfig


class ReschedulingConfig(AppConfig):
    name = "rescheduling"
