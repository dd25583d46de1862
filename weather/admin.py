from django.contrib import admin

from weather.models import ForecastSeries, ProviderCall, WeatherCheck, WeatherMinimums
from weather.services import minimums_update

EDITABLE = ("ceiling_ft", "visibility_sm", "wind_kt", "gust_kt", "crosswind_kt", "imc_allowed", "night_allowed",
            "solo_visibility_margin_sm", "solo_ceiling_margin_ft", "solo_wind_margin_kt")


@admin.register(WeatherMinimums)
class WeatherMinimumsAdmin(admin.ModelAdmin):
    list_display = ("training_level", *EDITABLE, "updated_at")
    list_editable = EDITABLE
    readonly_fields = ("training_level", "updated_at")

    def has_add_permission(self, request):
        return False  # one row per training level, seeded by a migration

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, so the change is audited like any other.
        current = WeatherMinimums.objects.get(pk=obj.pk)
        minimums_update(minimums=current, actor=request.user,
                        **{name: form.cleaned_data[name] for name in EDITABLE if name in form.cleaned_data})


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WeatherCheck)
class WeatherCheckAdmin(ReadOnlyAdmin):
    list_display = ("booking", "status", "training_level", "checked_at", "created_at")
    list_filter = ("status", "training_level")
    search_fields = ("booking__id",)
    raw_id_fields = ("booking",)
    date_hierarchy = "checked_at"


@admin.register(ForecastSeries)
class ForecastSeriesAdmin(ReadOnlyAdmin):
    list_display = ("location_key", "provider", "valid_from", "valid_until", "fetched_at")
    list_filter = ("provider",)
    search_fields = ("location_key",)


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ("provider", "started_at", "ok", "attempts", "http_requests", "locations", "duration_ms", "error")
    list_filter = ("provider", "ok", "retryable")
