from django.contrib import admin

from availability import services
from availability.models import AvailabilityException, AvailabilityPattern

PATTERN_FIELDS = ["instructor", "aircraft", "weekday", "start_time", "end_time", "valid_from", "valid_until"]
EXCEPTION_FIELDS = ["instructor", "aircraft", "start", "end", "reason"]


class AuditedAdmin(admin.ModelAdmin):
    """Writes go through the services so the same checks and the audit trail apply. Each admin below names its
    services in the three hooks; this base is never registered itself."""

    fields_for_service: list[str] = []

    def _values(self, obj) -> dict:
        return {name: getattr(obj, name) for name in self.fields_for_service}

    def create_service(self, request, values: dict):
        raise NotImplementedError

    def update_service(self, request, current, values: dict):
        raise NotImplementedError

    def delete_service(self, request, obj):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            self.update_service(request, self.model.objects.get(pk=obj.pk), self._values(obj))
        else:
            created = self.create_service(request, self._values(obj))
            obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def delete_model(self, request, obj):
        self.delete_service(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(request, obj)


@admin.register(AvailabilityPattern)
class AvailabilityPatternAdmin(AuditedAdmin):
    fields_for_service = PATTERN_FIELDS
    list_display = ["id", "instructor", "aircraft", "weekday", "start_time", "end_time", "valid_from", "valid_until"]
    list_filter = ["weekday", "aircraft", "instructor"]
    search_fields = ["instructor__email", "instructor__last_name", "aircraft__tail_number"]
    list_select_related = ["instructor", "aircraft"]

    def create_service(self, request, values: dict):
        return services.pattern_create(actor=request.user, **values)

    def update_service(self, request, current, values: dict):
        return services.pattern_update(pattern=current, actor=request.user, **values)

    def delete_service(self, request, obj):
        services.pattern_delete(pattern=obj, actor=request.user)


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(AuditedAdmin):
    fields_for_service = EXCEPTION_FIELDS
    list_display = ["id", "instructor", "aircraft", "start", "end", "reason"]
    list_filter = ["aircraft", "instructor", "start"]
    search_fields = ["reason", "instructor__email", "instructor__last_name", "aircraft__tail_number"]
    date_hierarchy = "start"
    list_select_related = ["instructor", "aircraft"]

    def create_service(self, request, values: dict):
        return services.exception_create(actor=request.user, **values)

    def update_service(self, request, current, values: dict):
        return services.exception_update(exception=current, actor=request.user, **values)

    def delete_service(self, request, obj):
        services.exception_delete(exception=obj, actor=request.user)
