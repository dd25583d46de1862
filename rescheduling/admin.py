from django.contrib import admin

from rescheduling.models import RescheduleOption, RescheduleRequest


class RescheduleOptionInline(admin.TabularInline):
    model = RescheduleOption
    extra = 0
    can_delete = False
    fields = ["rank", "start", "end", "instructor", "aircraft", "source", "weather_status", "forecast_known",
              "rationale", "unavailable_at", "unavailable_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RescheduleRequest)
class RescheduleRequestAdmin(admin.ModelAdmin):
    """Read-only here: decisions go through the API and pages so they are re-checked, audited and notified."""

    list_display = ["id", "booking", "status", "detected_at", "expires_at", "reminder_sent_at", "decided_at",
                    "decided_by"]
    list_filter = ["status"]
    search_fields = ["booking__student__email", "booking__id"]
    list_select_related = ["booking", "booking__student", "decided_by"]
    inlines = [RescheduleOptionInline]
    readonly_fields = ["booking", "status", "reasons", "detected_at", "created_at", "expires_at",
                       "reminder_sent_at", "decided_at", "decided_by", "closed_reason", "replacement_booking"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
