"""Lets plain job functions run where Django is not yet set up (a Zappa scheduled event, a bare worker)."""

import os


def ensure_django() -> None:
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
