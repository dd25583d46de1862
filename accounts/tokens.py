"""API tokens that end when their user's access ends.

simplejwt already refuses a token of an inactive user and, with CHECK_REVOKE_TOKEN, one issued under another
password. On top of that a user can be signed out everywhere (`tokens_valid_after`), and a refresh token can be
revoked on its own (the token blacklist, used by logout). Refreshing checks all of it too: simplejwt's own refresh
only asks whether the user is active.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from config.sql import instance_where


def issued_before_sign_out(user, token) -> bool:
    """True for a token issued in or before the second of the user's last "sign out everywhere" (`iat` counts
    whole seconds, so a token from that very second cannot be told apart and is refused)."""
    if user.tokens_valid_after is None:
        return False
    issued_at = token.get("iat")
    return issued_at is None or int(issued_at) <= int(user.tokens_valid_after.timestamp())


def token_refusal(user, token) -> tuple[str, str] | None:
    """(message, code) when `token` may no longer act for `user`; None when it may."""
    if not user.is_active:
        return _("User is inactive"), "user_inactive"
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        return _("The user's password has been changed."), "password_changed"
    if issued_before_sign_out(user, token):
        return _("This token was revoked: the user was signed out everywhere."), "token_revoked"
    return None


class RevocableJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        # simplejwt's own lookup, with the account read by a statement built once (every API request pays it);
        # token_refusal then checks what simplejwt checks (active, same password) and the sign-out too.
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken(_("Token contained no recognizable user identification")) from exc
        try:
            user = instance_where(self.user_model, **{api_settings.USER_ID_FIELD: user_id})
        except (TypeError, ValueError):  # a signed token whose id is not one: nobody, not a server error
            user = None
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        refusal = token_refusal(user, validated_token)
        if refusal:
            raise AuthenticationFailed(*refusal)
        return user


class RevocableTokenRefreshSerializer(TokenRefreshSerializer):
    def validate(self, attrs):
        refresh = RefreshToken(attrs["refresh"])  # refuses expired, forged and blacklisted tokens
        user = get_user_model().objects.filter(
            **{api_settings.USER_ID_FIELD: refresh.payload.get(api_settings.USER_ID_CLAIM)}).first()
        if user is None:
            raise AuthenticationFailed(_("No active account found for the given token."), "no_active_account")
        refusal = token_refusal(user, refresh)
        if refusal:
            raise AuthenticationFailed(*refusal)
        return super().validate(attrs)


def tokens_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


class RevocableJWTScheme(SimpleJWTScheme):
    """The OpenAPI schema describes these tokens exactly as simplejwt's own bearer tokens."""

    target_class = RevocableJWTAuthentication
