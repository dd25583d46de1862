from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm

from accounts import services
from accounts.models import User
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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "first_name", "last_name", "role", "training_level", "is_active", "last_login"]
    list_filter = ["role", "training_level", "is_active", "email_notifications"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    readonly_fields = ["last_login", "date_joined", "calendar_token"]
    filter_horizontal = []
    change_password_form = AdminPasswordChangeForm
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "phone", "time_zone"]}),
        ("School", {"fields": ["role", "training_level", "is_active", "is_superuser"]}),
        ("Notifications", {"fields": ["email_notifications", "calendar_token"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]
    add_form = UserCreationForm
    add_fieldsets = [(None, {"fields": ["email", "password", "first_name", "last_name", "role",
                                        "training_level", "phone", "time_zone"]})]

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



