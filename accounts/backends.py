from django.contrib.auth.backends import ModelBackend

from accounts.models import User, normalize_email_address


class EmailBackend(ModelBackend):
    """Email is the login, compared in its one normal form (see normalize_email_address)."""

    def authenticate(self, request, email=None, password=None, username=None, **kwargs):
        email = normalize_email_address(email or username)
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email=email)
        except User.DoesNotExist:
            User().set_password(password)  # same work either way, so timing does not reveal accounts
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
