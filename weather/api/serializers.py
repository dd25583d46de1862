from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class ProviderReportSerializer(serializers.Serializer):
    name = serializers.CharField()
    answered = serializers.BooleanField()
    locations_answered = serializers.IntegerField()
    locations_failed = serializers.IntegerField()
    error = serializers.CharField(required=False)


class MinimumsSerializer(serializers.Serializer):
    training_level = serializers.CharField()
    ceiling_ft = serializers.FloatField()
    visibility_sm = serializers.FloatField()
    wind_kt = serializers.FloatField()
    gust_kt = serializers.FloatField()
    crosswind_kt = serializers.FloatField(help_text="The lower of the level's (less the solo margin) and the "
                                                    "aircraft's maximum demonstrated crosswind")
    imc_allowed = serializers.BooleanField()
    night_allowed = serializers.BooleanField(required=False)
    night_endorsed = serializers.BooleanField(required=False)
    solo = serializers.BooleanField(required=False, help_text="The solo margins below are included in the limits")
    solo_visibility_margin_sm = serializers.FloatField(required=False)
    solo_ceiling_margin_ft = serializers.FloatField(required=False)
    solo_wind_margin_kt = serializers.FloatField(required=False)
    aircraft = serializers.CharField(allow_null=True, required=False, help_text="Tail number of the aircraft judged")
    aircraft_crosswind_kt = serializers.FloatField(allow_null=True, required=False)
    crosswind_from_aircraft = serializers.BooleanField(required=False)
    ifr_equipped = serializers.BooleanField(allow_null=True, required=False)


class ConfidenceSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="0 to 1")
    level = serializers.ChoiceField(choices=["high", "medium", "low"])
    word = serializers.ChoiceField(choices=["firm", "likely", "uncertain"])
    basis = serializers.CharField()
    at = serializers.CharField(required=False, help_text="For a window: its least firm place and hour")


class PointSerializer(serializers.Serializer):
    """One location and hour: the values judged (after taking the most restrictive across providers)."""

    location = serializers.CharField()
    label = serializers.CharField()
    role = serializers.ChoiceField(choices=["departure", "corridor", "destination"])
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    hour = serializers.DateTimeField()
    local_time = serializers.DateTimeField()
    status = serializers.CharField()
    category = serializers.CharField(allow_null=True)
    providers = serializers.ListField(child=serializers.CharField())
    sources = serializers.ListField(child=serializers.CharField())
    wind_dir_deg = serializers.IntegerField(allow_null=True, required=False)
    wind_kt = serializers.FloatField(allow_null=True, required=False)
    gust_kt = serializers.FloatField(allow_null=True, required=False)
    crosswind_kt = serializers.FloatField(allow_null=True, required=False)
    crosswind_runway = serializers.CharField(allow_null=True, required=False)
    visibility_sm = serializers.FloatField(allow_null=True, required=False)
    ceiling_ft = serializers.FloatField(allow_null=True, required=False,
                                        help_text="null: unlimited, unless `unknown` names the ceiling")
    ceiling_estimated = serializers.BooleanField(required=False)
    temperature_c = serializers.FloatField(allow_null=True, required=False)
    dewpoint_c = serializers.FloatField(allow_null=True, required=False)
    phenomena = serializers.ListField(child=serializers.CharField(), required=False)
    imc = serializers.BooleanField(required=False)
    unknown = serializers.ListField(child=serializers.CharField(), required=False,
                                    help_text="Elements no provider reported (visibility, ceiling, wind): unknown, "
                                              "never unlimited")
    note = serializers.CharField(required=False)
    confidence = ConfidenceSerializer(allow_null=True, required=False)


class BookingWeatherSerializer(serializers.Serializer):
    booking = serializers.IntegerField()
    status = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    checked_at = serializers.DateTimeField(allow_null=True)
    first_judged_at = serializers.DateTimeField(allow_null=True)
    window_start = serializers.DateTimeField(allow_null=True)
    window_end = serializers.DateTimeField(allow_null=True)
    providers = ProviderReportSerializer(many=True)
    agreement = serializers.DictField()
    minimums = serializers.SerializerMethodField()
    confidence = ConfidenceSerializer(allow_null=True)
    points = PointSerializer(many=True)

    @extend_schema_field(MinimumsSerializer(allow_null=True))
    def get_minimums(self, obj):
        return obj["minimums"] or None

    @classmethod
    def from_check(cls, booking, check):
        if check is None:
            data = {"booking": booking.pk, "status": booking.weather_status,
                    "reasons": ["not checked yet: the weather monitor checks flights within its lookahead"],
                    "checked_at": None, "first_judged_at": None, "window_start": None, "window_end": None,
                    "providers": [], "agreement": {}, "minimums": {}, "confidence": None, "points": []}
        else:
            data = {"booking": booking.pk, "status": check.status, "reasons": check.reasons,
                    "checked_at": check.checked_at, "first_judged_at": check.created_at,
                    "window_start": check.window_start, "window_end": check.window_end,
                    "providers": check.providers, "agreement": check.agreement, "minimums": check.minimums,
                    "confidence": check.confidence, "points": check.points}
        return cls(data)
