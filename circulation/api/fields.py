"""Enum fields that take the English code or the Chinese label, and answer with both."""

from typing import Any

from django.db.models import TextChoices
from rest_framework import serializers


class LabeledChoiceField(serializers.ChoiceField):
    """Accepts ``urgent`` or ``加急``; stores and returns the code."""

    def __init__(self, choices_enum: type[TextChoices], **kwargs: Any) -> None:
        self.labels = {str(label): value for value, label in choices_enum.choices}
        super().__init__(choices=choices_enum.choices, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.strip() in self.labels:
            data = self.labels[data.strip()]
        return super().to_internal_value(data)
