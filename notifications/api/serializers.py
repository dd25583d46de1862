from rest_framework import serializers

from notifications.models import Notification, NotificationKind


class NotificationSerializer(serializers.ModelSerializer):
    body = serializers.CharField(source="body_text", read_only=True)
    read = serializers.BooleanField(source="is_read", read_only=True)
    reschedule_request = serializers.IntegerField(source="reschedule_request_id", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "subject", "body", "link", "booking", "reschedule_request", "read", "read_at",
                  "event_at", "created_at"]
        read_only_fields = fields


class NotificationFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=NotificationKind.choices, required=False)
    booking = serializers.IntegerField(required=False, min_value=1)


class ReadAllResponseSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()
