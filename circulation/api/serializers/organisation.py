from rest_framework import serializers

from circulation.records.models import Person, Unit


class UnitSerializer(serializers.ModelSerializer[Unit]):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent = serializers.CharField(  # type: ignore[assignment]  # the API field is "parent"
        source="parent.code", default=None, read_only=True
    )
    head = serializers.CharField(source="head.username", default=None, read_only=True)
    head_name = serializers.CharField(source="head.name", default=None, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "kind_label", "parent", "head", "head_name"]


class PersonSerializer(serializers.ModelSerializer[Person]):
    display_name = serializers.CharField(source="name", read_only=True)
    units = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["id", "username", "display_name", "email", "units"]

    def get_units(self, person: Person) -> list[str]:
        return [unit.code for unit in person.units.all()]
