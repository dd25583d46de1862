from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from bookings import services
from bookings.models import (
    Aircraft,
    AircraftStatus,
    Airport,
    Booking,
    CancelReason,
    Squawk,
    StandbyRequest,
    StandbyStatus,
)
from bookings.services.standby import standby_withdraw
from config.exceptions import ApplicationError


class AirportForm(forms.ModelForm):
    class Meta:
        model = Airport
        fields = ["icao", "name", "runway_headings"]
        help_texts = {"runway_headings": "True headings of the runway ends, e.g. [130, 310]; used to judge crosswind."}


@admin.register(Airport)
class AirportAdmin(admin.ModelAdmin):
    """Airports come from the bundled database; staff add runway headings so crosswind can be judged."""

    form = AirportForm
    list_display = ["icao", "name", "city", "country", "time_zone", "elevation_ft", "runway_headings"]
    list_filter = ["country", "time_zone"]
    search_fields = ["icao", "name", "city"]
    readonly_fields = ["city", "country", "latitude", "longitude", "elevation_ft", "time_zone"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "icao"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            services.airport_update(airport=obj, actor=request.user, runway_headings=obj.runway_headings,
                                    name=obj.name)
            return
        created = services.airport_get_or_create(obj.icao)
        services.airport_update(airport=created, actor=request.user, runway_headings=obj.runway_headings)
        obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            form.base_fields["name"].required = False

            def clean_icao(self):
                try:
                    services.airport_get_or_create(self.cleaned_data["icao"])
                except ApplicationError as exc:
                    raise forms.ValidationError(exc.message)
                return self.cleaned_data["icao"].upper()

            form.clean_icao = clean_icao
        return form


class SquawkInline(admin.TabularInline):
    """The aircraft's squawks, open and closed. Opening and clearing happen in the squawk admin (and the aircraft's
    page), where grounding and its holds follow."""

    model = Squawk
    fk_name = "aircraft"
    extra = 0
    fields = ["opened_at", "text", "grounding", "opened_by", "cleared_at", "cleared_by", "clearing_note"]
    readonly_fields = fields
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AircraftForm(forms.ModelForm):
    class Meta:
        model = Aircraft
        fields = ["tail_number", "model", "home_airport", "status", "max_crosswind_kt", "ifr_equipped"]

    def clean_status(self):
        status = self.cleaned_data["status"]
        if (self.instance.pk and status == AircraftStatus.AVAILABLE
                and Squawk.objects.filter(aircraft=self.instance, grounding=True, cleared_at__isnull=True).exists()):
            raise forms.ValidationError("This aircraft has open grounding squawks: clear them to return it to service.")
        return status


@admin.register(Aircraft)
class AircraftAdmin(admin.ModelAdmin):
    form = AircraftForm
    inlines = [SquawkInline]
    list_display = ["tail_number", "model", "home_airport", "status", "max_crosswind_kt", "ifr_equipped"]
    list_filter = ["status", "model", "home_airport", "ifr_equipped"]
    search_fields = ["tail_number", "model"]
    list_select_related = ["home_airport"]
    autocomplete_fields = ["home_airport"]

    def save_model(self, request, obj, form, change):
        try:
            if change:
                changes = {name: form.cleaned_data[name] for name in form.changed_data}
                services.aircraft_update(aircraft=Aircraft.objects.get(pk=obj.pk), actor=request.user, **changes)
            else:
                created = services.aircraft_create(actor=request.user, tail_number=obj.tail_number, model=obj.model,
                                                   home_airport=obj.home_airport, status=obj.status,
                                                   max_crosswind_kt=obj.max_crosswind_kt,
                                                   ifr_equipped=obj.ifr_equipped)
                obj.pk, obj._state.adding, obj._state.db = created.pk, False, created._state.db
        except ApplicationError as exc:
            messages.error(request, exc.message)
            raise


class SquawkOpenForm(forms.ModelForm):
    class Meta:
        model = Squawk
        fields = ["aircraft", "text", "grounding"]


class SquawkClearForm(forms.ModelForm):
    class Meta:
        model = Squawk
        fields = ["clearing_note"]
        help_texts = {"clearing_note": "What was done. Saving with a note clears the squawk; clearing the last "
                                       "grounding squawk returns the aircraft to service."}

    def clean_clearing_note(self):
        note = (self.cleaned_data.get("clearing_note") or "").strip()
        if not note:
            raise forms.ValidationError("Say what was done to clear the squawk.")
        return note


@admin.register(Squawk)
class SquawkAdmin(admin.ModelAdmin):
    """Write up a squawk (add) or clear it (change, with a note). Both go through the squawk services, so a
    grounding squawk holds the aircraft's upcoming flights and clearing it releases them."""

    list_display = ["id", "aircraft", "text", "grounding", "opened_at", "opened_by", "cleared_at", "cleared_by"]
    list_filter = [("cleared_at", admin.EmptyFieldListFilter), "grounding", "aircraft"]
    search_fields = ["aircraft__tail_number", "text"]
    list_select_related = ["aircraft", "opened_by", "cleared_by"]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = SquawkClearForm if obj else SquawkOpenForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["aircraft", "text", "grounding"]
        return ["aircraft", "text", "grounding", "opened_by", "opened_at", "cleared_by", "cleared_at",
                "clearing_note"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        readonly = ["aircraft", "text", "grounding", "opened_by", "opened_at", "cleared_by", "cleared_at"]
        return [*readonly, "clearing_note"] if obj.cleared_at else readonly

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            if change:
                note = form.cleaned_data.get("clearing_note", "")
                squawk = services.squawk_clear(squawk=Squawk.objects.get(pk=obj.pk), by=request.user, note=note)
            else:
                squawk = services.squawk_open(aircraft=obj.aircraft, by=request.user, text=obj.text,
                                              grounding=obj.grounding)
            obj.pk, obj._state.adding, obj._state.db = squawk.pk, False, squawk._state.db
        except ApplicationError as exc:
            messages.error(request, exc.message)
            raise


class CancelReasonForm(forms.Form):
    reason_code = forms.ChoiceField(label="Reason", choices=CancelReason.choices)
    reason = forms.CharField(label="In words (required for “Other”; the people on the flights read it)",
                             required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason_code") == CancelReason.OTHER and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why, or choose another reason.")
        return cleaned


@admin.action(description="Cancel the selected flights (asks for a reason first)")
def cancel_bookings(modeladmin, request, queryset):
    """Nothing is cancelled until staff have seen the flights and given a reason on a confirmation page."""
    confirmed = "confirm_cancel" in request.POST
    form = CancelReasonForm(request.POST if confirmed else None)
    if confirmed and form.is_valid():
        cancelled = 0
        for booking in queryset:
            try:
                services.booking_cancel(booking=booking, actor=request.user,
                                        reason_code=form.cleaned_data["reason_code"],
                                        reason=form.cleaned_data["reason"])
                cancelled += 1
            except ApplicationError as exc:
                messages.warning(request, f"Booking {booking.pk}: {exc.message}")
        messages.success(request, f"{cancelled} booking(s) cancelled.")
        return None
    return TemplateResponse(request, "admin/bookings/booking/cancel_confirmation.html", {
        **modeladmin.admin_site.each_context(request),
        "title": "Cancel these flights?",
        "opts": modeladmin.model._meta,
        "bookings": queryset.select_related("student", "instructor", "aircraft", "departure_airport"),
        "form": form,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    })


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Staff find and inspect bookings here. Changes go through the API and pages so every rule and the audit
    trail apply; cancelling is the one action offered here."""

    # Few, short columns, so the list fits a laptop's width without scrolling sideways.
    list_display = ["id", "when", "student", "instructor", "tail_number", "route", "status", "weather_status",
                    "cancellation"]
    list_filter = ["status", "weather_status", "lesson_type", "cancel_reason_code", "late_cancellation", "start",
                   "aircraft"]
    search_fields = ["student__email", "student__first_name", "student__last_name", "instructor__email",
                     "instructor__first_name", "instructor__last_name", "aircraft__tail_number"]
    date_hierarchy = "start"
    list_select_related = ["student", "instructor", "aircraft", "departure_airport", "destination_airport"]
    ordering = ["start"]
    actions = [cancel_bookings]
    readonly_fields = [f.name for f in Booking._meta.fields]

    @admin.display(description="When (airport time)", ordering="start")
    def when(self, booking):
        return booking.when_local

    @admin.display(description="Aircraft", ordering="aircraft__tail_number")
    def tail_number(self, booking):
        return booking.aircraft.tail_number

    @admin.display(description="Route")
    def route(self, booking):
        departure, destination = booking.departure_airport.icao, booking.destination_airport.icao
        return departure if departure == destination else f"{departure} → {destination}"

    @admin.display(description="Cancelled")
    def cancellation(self, booking):
        if booking.status != "cancelled":
            return ""
        words = booking.get_cancel_reason_code_display() or "No reason code"
        return f"{words} (late)" if booking.late_cancellation else words

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing only: the change page renders read-only, the list still allows the cancel action.
        return False


@admin.action(description="Withdraw the selected standby requests")
def withdraw_standby(modeladmin, request, queryset):
    withdrawn = 0
    for standby in queryset.filter(status=StandbyStatus.WAITING):
        try:
            standby_withdraw(standby=standby, actor=request.user)
        except ApplicationError as exc:
            modeladmin.message_user(request, f"Standby {standby.pk}: {exc.message}", messages.WARNING)
        else:
            withdrawn += 1
    modeladmin.message_user(request, f"Withdrew {withdrawn} standby request(s).", messages.SUCCESS)


@admin.register(StandbyRequest)
class StandbyRequestAdmin(admin.ModelAdmin):
    """The standby list, oldest first as promotion takes it. Requests are made in the pages and the API, so the
    same rules apply; staff may withdraw them here."""

    list_display = ["id", "when", "student", "what", "instructor", "status", "booking", "created_at"]
    list_filter = ["status", "aircraft_model", "aircraft"]
    search_fields = ["student__email", "student__first_name", "student__last_name", "aircraft__tail_number",
                     "aircraft_model"]
    list_select_related = ["student", "instructor", "aircraft", "departure_airport", "booking__student",
                           "booking__aircraft"]
    ordering = ["created_at", "id"]
    actions = [withdraw_standby]
    readonly_fields = [f.name for f in StandbyRequest._meta.fields]

    @admin.display(description="When (airport time)", ordering="start")
    def when(self, standby):
        return standby.when_local

    @admin.display(description="Waiting for")
    def what(self, standby):
        return standby.what

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
