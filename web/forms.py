from datetime import timedelta

from django import forms

from bookings.models import CancelReason, LessonType


class AccessibleForm(forms.Form):
    """Ties help text and errors to their inputs, so screen readers announce them with the field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._describe_fields()

    def full_clean(self):
        super().full_clean()
        self._describe_fields()

    def add_service_errors(self, fields: dict) -> None:
        """Show an ApplicationError's per-field messages on the matching inputs (the rest at the top)."""
        for name, errors in fields.items():
            messages = errors if isinstance(errors, list) else [errors]
            self.add_error(name if name in self.fields else None, [str(m) for m in messages])
        self._describe_fields()

    def _describe_fields(self) -> None:
        for name, field in self.fields.items():
            described = [f"{self[name].auto_id}_help"] if field.help_text else []
            # Only errors already found: reading `self.errors` here would validate a half-built form.
            if self._errors and name in self._errors:
                described.append(f"{self[name].auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


class LoginForm(AccessibleForm):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class ProfileForm(AccessibleForm):
    email_notifications = forms.BooleanField(
        required=False, label="Email me as well as showing notifications here",
        help_text="Weather holds, new reschedule options, reminders and confirmations.",
    )


DURATIONS = [(60, "1 hour"), (90, "1 hour 30 minutes"), (120, "2 hours"), (180, "3 hours"), (240, "4 hours")]


class BookingForm(AccessibleForm):
    """What a booking needs. Start is read in the departure airport's local time."""

    student = forms.ModelChoiceField(queryset=None, required=False)
    lesson_type = forms.ChoiceField(choices=LessonType.choices, initial=LessonType.DUAL)
    instructor = forms.ModelChoiceField(queryset=None, required=False,
                                        help_text="Leave empty for a solo flight.")
    aircraft = forms.ModelChoiceField(queryset=None)
    departure_airport = forms.CharField(
        label="Departure airport (ICAO)", max_length=4, min_length=3,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "size": 6}),
    )
    destination_airport = forms.CharField(
        label="Destination airport (ICAO)", max_length=4, min_length=3,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "size": 6}),
        help_text="The same as the departure for a local lesson.",
    )
    date = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    # Not required by the form itself, so the free-slot search can run before a time is chosen; the booking
    # view requires it, and the page marks it required rather than "optional".
    start_time = forms.TimeField(
        label="Start time", required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900, "required": True, "aria-required": "true"}),
        help_text="Local time at the departure airport. Pick a free slot below or type a time.",
    )
    duration_minutes = forms.TypedChoiceField(label="Length", choices=DURATIONS, coerce=int, initial=120)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    override_availability = forms.BooleanField(
        required=False, label="Book outside availability (operations staff only)",
    )

    def __init__(self, *args, actor, students, instructors, aircraft, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["student"].queryset = students
        self.fields["instructor"].queryset = instructors
        self.fields["aircraft"].queryset = aircraft
        self._describe_fields()
        if actor.is_student:
            del self.fields["student"]
        else:
            self.fields["student"].required = True
        if not actor.is_admin:
            del self.fields["override_availability"]

    def clean_departure_airport(self):
        return self.cleaned_data["departure_airport"].strip().upper()

    def clean_destination_airport(self):
        return self.cleaned_data["destination_airport"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        lesson_type, instructor = cleaned.get("lesson_type"), cleaned.get("instructor")
        if lesson_type == LessonType.SOLO and instructor:
            self.add_error("instructor", "A solo flight has no instructor.")
        if lesson_type and lesson_type != LessonType.SOLO and not instructor:
            self.add_error("instructor", "Choose an instructor for this lesson, or make it a solo flight.")
        return cleaned

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.cleaned_data["duration_minutes"])


class CancelForm(AccessibleForm):
    """Why a flight is cancelled: a code staff can count, and words for the people involved."""

    reason_code = forms.ChoiceField(label="Reason", choices=CancelReason.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label="In your own words", required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when the reason is “Other”. The people on the flight read it.",
    )


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]


class WeeklyWindowForm(AccessibleForm):
    """A weekly window an instructor can teach, in the school's local time."""

    weekday = forms.TypedChoiceField(label="Day", choices=WEEKDAYS, coerce=int)
    start_time = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    end_time = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time", "step": 900}))


class TimeOffForm(AccessibleForm):
    """Time away, from a day and time to a day and time in the school's local time."""

    start_date = forms.DateField(label="From day", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(label="From time", initial="00:00",
                                 widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    end_date = forms.DateField(label="Until day", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(label="Until time", initial="23:59",
                               widget=forms.TimeInput(attrs={"type": "time", "step": 60}))
    reason = forms.CharField(label="Reason", required=False, max_length=200,
                             help_text="Seen by operations staff, e.g. “Vacation”.")


class SquawkForm(AccessibleForm):
    text = forms.CharField(label="Defect", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="What is wrong, where, and when it was found.")
    grounding = forms.BooleanField(
        label="Grounding: the aircraft may not fly until this is cleared", required=False,
        help_text="Its upcoming flights go on hold and their students are offered new times.")


class SquawkClearForm(AccessibleForm):
    note = forms.CharField(label="What was done", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
