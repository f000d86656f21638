from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from circulation.api.actor import actor_from
from circulation.api.params import text_param
from circulation.api.serializers.organisation import PersonSerializer, UnitSerializer
from circulation.records.models import Person, Unit


class UnitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Units of the caller's organisation (领导班子/股室/二级机构)."""

    serializer_class = UnitSerializer
    pagination_class = None
    lookup_value_regex = r"\d+"
    queryset = Unit.objects.none()  # for the schema; get_queryset scopes to the organisation

    def get_queryset(self) -> QuerySet[Unit]:
        return Unit.objects.filter(
            organisation=actor_from(self.request).user.organisation,
            is_active=True,
        ).select_related("parent", "head")


class PersonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """People of the caller's organisation; ``?unit=BGS`` for one unit's members."""

    serializer_class = PersonSerializer

    def get_queryset(self) -> QuerySet[Person]:
        people = Person.objects.filter(
            organisation=actor_from(self.request).user.organisation,
            is_active=True,
        ).prefetch_related("units")
        unit = text_param(self.request, "unit", max_length=16)
        if unit:
            people = people.filter(units__code=unit.upper())
        return people.order_by("username")
