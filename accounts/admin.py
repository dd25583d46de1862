from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from accounts import services
from accounts.models import User, new_calendar_token
from config.exceptions import ApplicationError


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(widget=forms.PasswordInput, help_text="Checked against the password rules.")

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "role", "training_level", "phone", "time_zone"]

    def clean(self):
        cleaned = super().clean()
        self._service_kwargs = {k: cleaned.get(k) or "" for k in self.Meta.fields}
        self._service_kwargs["password"] = cleaned.get("password") or ""
        return cleaned


class PasswordChangeForm(AdminPasswordChangeForm):
    """Staff setting a password also replace the calendar feed address, as the API does; the old tokens end by
    themselves (each carries a hash of the password it was issued under)."""

    def save(self, commit=True):
        self.user.calendar_token = new_calendar_token()
        return super().save(commit=commit)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "first_name", "last_name", "role", "training_level", "night_endorsement", "is_active",
                    "last_login"]
    list_filter = ["role", "training_level", "is_active", "email_notifications"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    readonly_fields = ["last_login", "date_joined", "calendar_token"]
    filter_horizontal = []
    change_password_form = PasswordChangeForm
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "phone", "time_zone"]}),
        ("School", {"fields": ["role", "training_level", "night_endorsement", "is_active", "is_superuser"]}),
        ("Notifications", {"fields": ["email_notifications", "calendar_token"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["rotate_calendar_feed", "sign_out_everywhere"]
    add_form = UserCreationForm
    add_fieldsets = [(None, {"fields": ["email", "password", "first_name", "last_name", "role",
                                        "training_level", "phone", "time_zone"]})]

    @admin.action(description="Replace the calendar feed address (the old one stops at once)")
    def rotate_calendar_feed(self, request, queryset):
        for user in queryset:
            services.user_rotate_calendar_token(user=user, actor=request.user)
        messages.success(request, f"New calendar feed address for {queryset.count()} people.")

    @admin.action(description="Sign out everywhere (end every token and session)")
    def sign_out_everywhere(self, request, queryset):
        for user in queryset:
            services.user_sign_out_everywhere(user=user, actor=request.user)
        messages.success(request, f"Signed out {queryset.count()} people everywhere.")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.user_create(**form._service_kwargs, actor=request.user)
        except ApplicationError as exc:
            for field, errors in exc.fields.items():
                messages.error(request, f"{field}: {' '.join(errors)}")
            raise
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db



