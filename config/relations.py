"""Related fields for API input."""

from rest_framework import serializers

from config.sql import instance_where


class KeyedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key naming an object of `model` whose fields equal `match`: the same input, errors and schema as
    `PrimaryKeyRelatedField(queryset=model.objects.filter(**match))`, read in one plain statement built once
    (`config.sql.instance_where`) instead of a query compiled for every request."""

    def __init__(self, *, model, match: dict | None = None, **kwargs):
        self.model, self.match = model, dict(match or {})
        kwargs["queryset"] = model.objects.filter(**self.match)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if self.pk_field is not None:
            data = self.pk_field.to_internal_value(data)
        try:
            if isinstance(data, bool):
                raise TypeError
            found = instance_where(self.model, pk=data, **self.match)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found
