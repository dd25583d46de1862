from rest_framework import serializers

from rescheduling.models import RescheduleOption, RescheduleRequest


class RescheduleOptionSerializer(serializers.ModelSerializer):
    instructor_name = serializers.SerializerMethodField()
    aircraft_tail_number = serializers.CharField(source="aircraft.tail_number", read_only=True)
    available = serializers.BooleanField(source="is_available", read_only=True)

    class Meta:
        model = RescheduleOption
        fields = ["id", "rank", "start", "end", "instructor", "instructor_name", "aircraft", "aircraft_tail_number",
                  "source", "rationale", "weather_status", "forecast_known", "available"]
        read_only_fields = fields

    def get_instructor_name(self, option) -> str | None:
        if option.instructor is None:
            return None
        return option.instructor.get_full_name() or option.instructor.email


class RescheduleRequestSerializer(serializers.ModelSerializer):
    options = RescheduleOptionSerializer(many=True, read_only=True)

    class Meta:
        model = RescheduleRequest
        fields = ["id", "booking", "status", "reasons", "detected_at", "created_at", "expires_at",
                  "reminder_sent_at", "decided_at", "decided_by", "replacement_booking", "options"]
        read_only_fields = fields


class AcceptSerializer(serializers.Serializer):
    option = serializers.IntegerField(min_value=1, help_text="The id of one of the request's options.")
