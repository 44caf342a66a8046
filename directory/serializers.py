from rest_framework import serializers

from directory.models import DutyShift, Person, Position, PositionHolding, TaskGroup, Unit
from directory.validators import normalise_phone
from zezhou_heat.api import ModelSerializer, PlannedDateTimeField


class UnitSerializer(ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "short_name", "kind", "kind_display", "duty_phone",
                  "duties", "plan_section", "is_demo"]


class UnitRefSerializer(ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "code", "short_name"]


class TaskGroupSerializer(ModelSerializer):
    lead_unit = UnitRefSerializer(read_only=True)
    member_units = UnitRefSerializer(many=True, read_only=True)

    class Meta:
        model = TaskGroup
        fields = ["id", "code", "name", "order", "lead_unit", "member_units", "other_members",
                  "duties"]


class HoldingSerializer(ModelSerializer):
    position = serializers.SlugRelatedField(slug_field="code", read_only=True)
    position_name = serializers.CharField(source="position.__str__", read_only=True)
    unit = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The unit a unit-scoped position is held for; null for the headquarters' "
                  "positions")

    class Meta:
        model = PositionHolding
        fields = ["position", "position_name", "unit"]


class PersonSerializer(ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    holdings = HoldingSerializer(many=True, read_only=True)
    positions = serializers.SlugRelatedField(
        slug_field="code", queryset=Position.objects.all(), many=True, write_only=True,
        required=False)
    on_duty = serializers.BooleanField(read_only=True)
    mobile_hidden = serializers.BooleanField(
        read_only=True, help_text="The person has a mobile number this user may not see "
                                  "(`mobile` is then empty): call the unit's duty phone")

    class Meta:
        model = Person
        fields = ["id", "name", "unit", "title", "mobile", "mobile_hidden", "office_phone",
                  "holdings", "positions", "on_duty"]
        validators = []  # uniqueness is checked by the service, with the field named

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # directory.selectors.people(viewer) says which numbers this user sees; anything
        # else shows none.
        data["mobile"] = getattr(instance, "shown_mobile", "")
        data["mobile_hidden"] = getattr(instance, "mobile_hidden", bool(instance.mobile))
        return data

    def validate_mobile(self, value):
        return normalise_phone(value)

    def validate_office_phone(self, value):
        return normalise_phone(value)


class DutyShiftSerializer(ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    person_name = serializers.CharField(source="person.name", read_only=True)
    starts_at = PlannedDateTimeField()
    ends_at = PlannedDateTimeField()

    class Meta:
        model = DutyShift
        fields = ["id", "unit", "person", "person_name", "starts_at", "ends_at", "is_leader",
                  "note"]

