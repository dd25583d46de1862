from accounts.models import Role, User


def user_list(*, actor: User, role: str | None = None):
    """Operations staff see every account; the API refuses everyone else before this is reached."""
    users = User.objects.all().order_by("id")
    if role:
        users = users.filter(role=role)
    return users


def role_members(role: str) -> dict:
    """Who holds `role` now, as field values: the active accounts with that role."""
    return {"role": role, "is_active": True}


def users_with_role(role: str):
    return User.objects.filter(**role_members(role))


def user_by_calendar_token(token: str) -> User | None:
    """The active user whose secret calendar feed address carries `token`."""
    if not token:
        return None
    return User.objects.filter(calendar_token=token, is_active=True).first()


def operations_staff():
    """Active admins and superusers: who gets operational alerts."""
    from django.db.models import Q

    return User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
