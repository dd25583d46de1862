from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "web"

    def ready(self):
        # The admin has discovered every app's admin.py by now (it is installed before this app).
        from web import admin_actions

        admin_actions.register()
