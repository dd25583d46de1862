from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state change, as it happened. Append-only: on PostgreSQL a trigger refuses UPDATE and DELETE."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
        help_text="Who did it; empty for the system (scheduled jobs).",
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=255)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "created_at"], name="audit_object_idx"),
            models.Index(fields=["action", "object_id", "created_at"], name="audit_action_object_idx"),
            models.Index(fields=["action", "ip_address", "created_at"], name="audit_action_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
