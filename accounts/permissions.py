from rest_framework.permissions import BasePermission


class IsAdmin(BasePermission):
    """Operations staff only: the admin role or a Django superuser."""

    message = "Only operations staff may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)
