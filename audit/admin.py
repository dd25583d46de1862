from django.contrib import admin

from audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The trail is evidence: staff read and search it, nobody edits it."""

    list_display = ["created_at", "action", "object_type", "object_id", "actor", "request_id", "ip_address"]
    list_filter = ["action", "object_type", "created_at"]
    search_fields = ["object_id", "request_id", "actor__email", "action"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
