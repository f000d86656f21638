"""Input fields: enums that take the English code or the Chinese label (and answer with both);
free text checked by the shared validation rules."""

from typing import Any

from django.db.models import TextChoices
from rest_framework import serializers

from circulation.records.validation import TextRule, clean_text, refuse_control_characters


class LabeledChoiceField(serializers.ChoiceField):
    """Accepts ``urgent`` or ``加急``; stores and returns the code."""

    def __init__(self, choices_enum: type[TextChoices], **kwargs: Any) -> None:
        self.labels = {str(label): value for value, label in choices_enum.choices}
        super().__init__(choices=choices_enum.choices, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.strip() in self.labels:
            data = self.labels[data.strip()]
        return super().to_internal_value(data)


class RuleTextField(serializers.CharField):
    """Free text checked by a :class:`~circulation.records.validation.TextRule` (length, control
    characters): the same check the service makes, so the API refuses the same input."""

    def __init__(self, rule: TextRule, **kwargs: Any) -> None:
        self.rule = rule
        kwargs.setdefault("max_length", rule.max_length)  # documented in the schema
        kwargs.setdefault("trim_whitespace", rule.strip)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        return clean_text(super().to_internal_value(data), self.rule)


class PlainCharField(serializers.CharField):
    """A code, name or password: any characters but control characters (named in the error)."""

    def __init__(self, *, name_zh: str, name_en: str, **kwargs: Any) -> None:
        self.names = (name_zh, name_en)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = str(super().to_internal_value(data))
        # A list's child has no name of its own: the error names the list (``units``).
        field = self.field_name or str(getattr(self.parent, "field_name", "") or "")
        refuse_control_characters(text, field=field, name_zh=self.names[0], name_en=self.names[1])
        return text
