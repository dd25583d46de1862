from django.utils import timezone
from rest_framework import serializers

from bookings.api.fields import AwareDateTimeField, aircraft_field, instructor_field, student_field
from bookings.models import Aircraft, AircraftStatus, Airport, Booking, BookingStatus, CancelReason, LessonType
from bookings.selectors import BOOKING_ROW_FIELDS


class AirportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Airport
        fields = ["id", "icao", "name", "city", "country", "latitude", "longitude", "elevation_ft", "time_zone",
                  "runway_headings"]
        read_only_fields = fields


class AirportCreateSerializer(serializers.Serializer):
    icao = serializers.CharField(max_length=4)


class AirportUpdateSerializer(serializers.Serializer):
    runway_headings = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=360),
                                            required=False, max_length=12)
    name = serializers.CharField(max_length=200, required=False)


class AircraftSerializer(serializers.ModelSerializer):
    home_airport = serializers.CharField(source="home_airport.icao", read_only=True)

    class Meta:
        model = Aircraft
        fields = ["id", "tail_number", "model", "home_airport", "status", "max_crosswind_kt", "ifr_equipped"]
        read_only_fields = fields


class AircraftWriteSerializer(serializers.Serializer):
    tail_number = serializers.CharField(max_length=16)
    model = serializers.CharField(max_length=100)
    home_airport = serializers.CharField(max_length=4, help_text="ICAO code, e.g. KPAO.")
    status = serializers.ChoiceField(choices=AircraftStatus.choices, default=AircraftStatus.AVAILABLE)
    max_crosswind_kt = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=40,
        help_text="Maximum demonstrated crosswind, knots; a flight is judged by the lower of this and the pilot's.")
    ifr_equipped = serializers.BooleanField(required=False, help_text="Equipped for flight in instrument conditions.")


class BookingSerializer(serializers.ModelSerializer):
    """A booking as everyone reads it: ids for people and aircraft, ICAO codes for airports, times with offset."""

    departure_airport = serializers.CharField(source="departure_airport.icao", read_only=True)
    destination_airport = serializers.CharField(source="destination_airport.icao", read_only=True)
    rescheduled_to = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = ["id", "student", "instructor", "aircraft", "departure_airport", "destination_airport", "start",
                  "end", "lesson_type", "status", "weather_status", "rescheduled_from", "rescheduled_to",
                  "created_at", "updated_at", "hold_reason", "cancel_reason_code", "cancel_reason",
                  "late_cancellation"]
        read_only_fields = fields

    def get_rescheduled_to(self, booking) -> int | None:
        if hasattr(booking, "replacement_id"):
            return booking.replacement_id
        replacement = Booking.objects.filter(rescheduled_from=booking).values_list("pk", flat=True).first()
        return replacement

    def to_representation(self, booking):
        # The fields above describe the body (and the OpenAPI schema); writing it directly gives the same body
        # without building and running fifteen field objects per booking.
        row = {name: getattr(booking, name) for name in BOOKING_ROW_FIELDS}
        row.update(departure_icao=booking.departure_airport.icao, destination_icao=booking.destination_airport.icao,
                   replacement_id=self.get_rescheduled_to(booking))
        return booking_rows_data([row])[0]


def booking_rows_data(rows) -> list[dict]:
    """Rows from `bookings.selectors.booking_rows` exactly as BookingSerializer's fields show those bookings
    (same keys, same order, same ISO 8601 times). Building a ModelSerializer's fields and running fifteen field
    objects per booking cost more than everything else a page of the bookings list does."""
    zone = timezone.get_current_timezone()

    def iso(value):
        # DRF's DateTimeField with DATETIME_FORMAT "iso-8601": in the current time zone, UTC written as "Z".
        if not value:
            return None
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return [{
        "id": row["id"],
        "student": row["student_id"],
        "instructor": row["instructor_id"],
        "aircraft": row["aircraft_id"],
        "departure_airport": row["departure_icao"],
        "destination_airport": row["destination_icao"],
        "start": iso(row["start"]),
        "end": iso(row["end"]),
        "lesson_type": row["lesson_type"],
        "status": row["status"],
        "weather_status": row["weather_status"],
        "rescheduled_from": row["rescheduled_from_id"],
        "rescheduled_to": row["replacement_id"],
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "hold_reason": row["hold_reason"],
        "cancel_reason_code": row["cancel_reason_code"],
        "cancel_reason": row["cancel_reason"],
        "late_cancellation": row["late_cancellation"],
    } for row in rows]


class BookingCreateSerializer(serializers.Serializer):
    student = student_field(required=False, help_text="Defaults to the signed-in student.")
    instructor = instructor_field(required=False, allow_null=True, default=None)
    aircraft = aircraft_field()
    departure_airport = serializers.CharField(max_length=4, help_text="ICAO code, e.g. KPAO.")
    # Left out or blank, booking_create makes it the departure airport.
    destination_airport = serializers.CharField(max_length=4, required=False, allow_blank=True, default="",
                                                help_text="ICAO code; the departure airport when left out.")
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    lesson_type = serializers.ChoiceField(choices=LessonType.choices, default=LessonType.DUAL)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    override_availability = serializers.BooleanField(default=False,
                                                     help_text="Operations staff only; never overrides an overlap.")
    status = serializers.ChoiceField(choices=[BookingStatus.SCHEDULED, BookingStatus.CONFIRMED,
                                              BookingStatus.COMPLETED], default=BookingStatus.SCHEDULED)


class BookingUpdateSerializer(serializers.Serializer):
    student = student_field(required=False)
    instructor = instructor_field(required=False, allow_null=True)
    aircraft = aircraft_field(required=False)
    departure_airport = serializers.CharField(max_length=4, required=False)
    destination_airport = serializers.CharField(max_length=4, required=False)
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    lesson_type = serializers.ChoiceField(choices=LessonType.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    status = serializers.ChoiceField(choices=[BookingStatus.SCHEDULED, BookingStatus.CONFIRMED,
                                              BookingStatus.COMPLETED], required=False)
    override_availability = serializers.BooleanField(required=False)

    def validate(self, attrs):
        read_only = set(self.initial_data) & {"weather_status", "rescheduled_from", "rescheduled_to", "id",
                                              "created_at", "updated_at"}
        if read_only:
            raise serializers.ValidationError({name: ["This field is read-only."] for name in sorted(read_only)})
        return attrs


class BookingCancelSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=CancelReason.choices, default=CancelReason.OTHER,
                                          help_text="Why, as a code; `other` needs words in `reason`.")
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="",
                                   help_text="Free text; required with `other`.")
