from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    actor_email = serializers.EmailField(source="actor.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "actor", "actor_email", "action", "object_type", "object_id", "before",
                  "after", "request_id", "ip_address"]
        read_only_fields = fields


class AuditEventFilterSerializer(serializers.Serializer):
    action = serializers.CharField(required=False, max_length=64)
    object_type = serializers.CharField(required=False, max_length=64)
    object_id = serializers.CharField(required=False, max_length=255)
    actor = serializers.IntegerField(required=False, min_value=1)
    request_id = serializers.CharField(required=False, max_length=64)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


METRICS_DEFAULT_PERIOD = timedelta(days=7)
METRICS_LONGEST_PERIOD = timedelta(days=366)


class MetricsPeriodSerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate(self, attrs):
        until = attrs.get("until") or timezone.now()
        since = attrs.get("since") or until - METRICS_DEFAULT_PERIOD
        if since >= until:
            raise serializers.ValidationError({"since": ["Must be before until."]})
        if until - since > METRICS_LONGEST_PERIOD:
            raise serializers.ValidationError({"since": ["The period may be at most 366 days."]})
        return {"since": since, "until": until}


class WeatherStatsSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    successes = serializers.IntegerField()
    success_rate = serializers.FloatField(allow_null=True)
    by_provider = serializers.DictField()


class DeliveryStatsSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    pending = serializers.IntegerField()
    in_app = serializers.IntegerField()
    delivery_rate = serializers.FloatField(allow_null=True)
    avg_seconds_detection_to_notification = serializers.FloatField(allow_null=True)
    by_channel = serializers.DictField()


class RescheduleStatsSerializer(serializers.Serializer):
    requests = serializers.IntegerField()
    accepted = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    avg_seconds_conflict_to_confirmed = serializers.FloatField(allow_null=True)


class MetricsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    weather_provider_success_rate = serializers.FloatField(allow_null=True)
    notification_delivery_rate = serializers.FloatField(allow_null=True)
    avg_seconds_detection_to_notification = serializers.FloatField(allow_null=True)
    reschedule_acceptance_rate = serializers.FloatField(allow_null=True)
    avg_seconds_conflict_to_confirmed = serializers.FloatField(allow_null=True)
    weather = serializers.DictField()
    notifications = serializers.DictField()
    rescheduling = serializers.DictField()
