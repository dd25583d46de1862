from rest_framework import serializers

from accounts.models import Role, TrainingLevel, User


class UserSerializer(serializers.ModelSerializer):
    is_admin = serializers.BooleanField(read_only=True)
    # Declared so the schema admits "" (instructors and staff have no training level).
    training_level = serializers.ChoiceField(choices=TrainingLevel.choices, allow_blank=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "training_level", "night_endorsement", "phone",
                  "time_zone", "email_notifications", "is_active", "is_admin", "date_joined"]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    training_level = serializers.ChoiceField(choices=TrainingLevel.choices, required=False, allow_blank=True,
                                             default="")
    night_endorsement = serializers.BooleanField(
        required=False, default=False,
        help_text="A student endorsed for night flight (lifts the level's no-night rule).")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    time_zone = serializers.CharField(max_length=64, required=False)


class UserUpdateSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False)
    password = serializers.CharField(write_only=True, required=False, style={"input_type": "password"})
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    training_level = serializers.ChoiceField(choices=TrainingLevel.choices, required=False, allow_blank=True)
    night_endorsement = serializers.BooleanField(required=False)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    email_notifications = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    otp_token = serializers.CharField(
        required=False, allow_blank=True, max_length=16,
        help_text="Operations staff (role admin) where one-time passwords are required (production): the "
                  "current 6-digit code of the authenticator enrolled with manage.py enrol_totp_device. "
                  "Without it the answer is 401 with code otp_required; a wrong or reused code is 401 "
                  "otp_invalid. Students and instructors leave it out.")


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSerializer()


class MeUpdateSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False)
    email_notifications = serializers.BooleanField(required=False)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    everywhere = serializers.BooleanField(default=False,
                                          help_text="Also end every other token and session of this user.")


class CalendarFeedSerializer(serializers.Serializer):
    calendar_url = serializers.URLField()
