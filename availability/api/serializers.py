from datetime import timedelta

from rest_framework import serializers

from availability.models import AvailabilityException, AvailabilityPattern
from bookings.api.fields import AwareDateTimeField, aircraft_field, instructor_field, student_field

MAX_SLOT_RANGE = timedelta(days=14)


class AvailabilityPatternSerializer(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityPattern
        fields = ["id", "instructor", "aircraft", "weekday", "start_time", "end_time", "valid_from", "valid_until",
                  "created_at"]
        read_only_fields = fields


class AvailabilityPatternWriteSerializer(serializers.Serializer):
    instructor = instructor_field(required=False, allow_null=True, default=None)
    aircraft = aircraft_field(required=False, allow_null=True, default=None)
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday")
    start_time = serializers.TimeField(help_text="In SCHOOL_TIME_ZONE")
    end_time = serializers.TimeField(help_text="In SCHOOL_TIME_ZONE; 23:59:59 means until midnight")
    valid_from = serializers.DateField(required=False, help_text="Defaults to today in SCHOOL_TIME_ZONE.")
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class AvailabilityExceptionSerializer(serializers.ModelSerializer):
    class Meta:
        model = AvailabilityException
        fields = ["id", "instructor", "aircraft", "start", "end", "reason", "created_at"]
        read_only_fields = fields


class AvailabilityExceptionWriteSerializer(serializers.Serializer):
    instructor = instructor_field(required=False, allow_null=True, default=None)
    aircraft = aircraft_field(required=False, allow_null=True, default=None)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SlotQuerySerializer(serializers.Serializer):
    instructor = instructor_field(required=False)
    aircraft = aircraft_field(required=False)
    student = student_field(required=False)
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    duration_minutes = serializers.IntegerField(min_value=15, max_value=720, default=60)
    step_minutes = serializers.IntegerField(min_value=5, max_value=240, default=30)

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if attrs["end"] - attrs["start"] > MAX_SLOT_RANGE:
            raise serializers.ValidationError({"end": ["Search at most 14 days at a time."]})
        if not ({"instructor", "aircraft", "student"} & attrs.keys()):
            raise serializers.ValidationError("Name an instructor, an aircraft or a student.")
        return attrs


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class SlotPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SlotSerializer(many=True)
