"""Serializer building blocks shared by the API's serializers."""

import copy
from typing import Any, ClassVar, TypeVar

from django.db import models
from rest_framework import serializers

_M = TypeVar("_M", bound=models.Model)


class BuiltOnceModelSerializer(serializers.ModelSerializer[_M]):
    """A ``ModelSerializer`` that derives its fields from the model once per class.

    DRF rebuilds every field from the model's metadata for each serializer instance — about
    half of the cost of serialising one object on a detail endpoint. The fields depend only on
    the class here (no per-request fields), so they are built once and deep-copied per instance,
    which is what DRF does for declared fields anyway.
    """

    _built_fields: ClassVar[dict[str, Any] | None] = None

    def get_fields(self) -> dict[str, Any]:
        cls = type(self)
        built = cls.__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            cls._built_fields = built
        return copy.deepcopy(built)
