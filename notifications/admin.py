from django.contrib import admin, messages

from config.exceptions import ApplicationError
from notifications.models import Notification
from notifications.services import notification_requeue


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Staff see every message and its delivery history; the only change they make is sending a failed one again."""

    list_display = ["created_at", "kind", "channel", "status", "recipient", "attempts", "sent_at", "read_at",
                    "booking_id"]
    list_filter = ["status", "channel", "kind", "created_at"]
    search_fields = ["recipient__email", "subject", "idempotency_key", "last_error"]
    date_hierarchy = "created_at"
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected failed emails again")
    def send_again(self, request, queryset):
        requeued = 0
        for notification in queryset:
            try:
                notification_requeue(notification=notification, actor=request.user)
                requeued += 1
            except ApplicationError:
                continue
        self.message_user(request, f"{requeued} email(s) queued for delivery.",
                          messages.SUCCESS if requeued else messages.WARNING)
