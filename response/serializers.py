from rest_framework import serializers

from directory.models import TaskGroup
from incidents.models import Incident
from response.choices import CONDITIONS, ChecklistStatus, ResponseLevel, StartMode
from response.models import ChecklistItem, LevelChange, Notice, Response
from zezhou_heat.api import (
    CountyDateTimeField,
    HappenedDateTimeField,
    ModelSerializer,
    RowSerializer,
    Serializer,
)


class LevelChangeSerializer(ModelSerializer):
    class Meta:
        model = LevelChange
        fields = ["from_level", "to_level", "changed_by", "changed_at", "reason"]


class NoticeSerializer(ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    due_at = serializers.DateTimeField(source="deadline.due_at", read_only=True)
    overdue_at = serializers.DateTimeField(source="deadline.overdue_at", read_only=True,
                                           allow_null=True)
    cancelled_at = serializers.DateTimeField(source="deadline.cancelled_at", read_only=True,
                                             allow_null=True,
                                             help_text="No acknowledgement needed any more: "
                                                       "the response ended or was handed over.")

    class Meta:
        model = Notice
        fields = ["id", "response", "unit", "sent_at", "due_at", "acknowledged_at",
                  "acknowledged_by", "overdue_at", "cancelled_at"]


class ChecklistItemSerializer(ModelSerializer):
    task_group = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The task group whose playbook item this is; null for the level's "
                  "measures (`is_measure`)")

    class Meta:
        model = ChecklistItem
        fields = ["id", "response", "task_group", "text", "is_measure", "status", "note",
                  "updated_by", "updated_at"]
        read_only_fields = ["response", "text", "is_measure", "updated_by", "updated_at"]


class ChecklistUpdateSerializer(Serializer):
    status = serializers.ChoiceField(choices=ChecklistStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def start_mode_field():
    # Declared: DRF drops allow_blank from a read-only model field, so the schema's enum
    # would leave out the "" of a response not started yet.
    return serializers.ChoiceField(choices=StartMode.choices, allow_blank=True, read_only=True,
                                   help_text="Empty until the response starts")


class ResponseSerializer(ModelSerializer):
    start_mode = start_mode_field()
    task_groups = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    level_changes = LevelChangeSerializer(many=True, read_only=True)
    notices = NoticeSerializer(many=True, read_only=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)

    class Meta:
        model = Response
        fields = ["id", "incident", "level", "state", "suggested_level", "reason",
                  "proposed_by", "proposed_at", "start_mode", "started_by", "started_at",
                  "decided_note", "rejected_by", "rejected_at", "site_hq_leader",
                  "site_hq_place", "site_hq_at", "handed_over_to", "handed_over_at",
                  "conditions", "ended_by", "ended_at", "task_groups", "level_changes",
                  "notices", "checklist"]
        read_only_fields = fields


class ResponseListSerializer(RowSerializer):
    """A response in a list: the detail's own fields and task groups, and instead of its
    level changes, notices and checklist, how many notices wait for an acknowledgement and
    how far the checklist is."""

    start_mode = start_mode_field()
    task_groups = serializers.ListField(child=serializers.CharField(), read_only=True,
                                        help_text="The task groups' codes")
    proposed_at = CountyDateTimeField(allow_null=True)
    started_at = CountyDateTimeField(allow_null=True)
    rejected_at = CountyDateTimeField(allow_null=True)
    site_hq_at = CountyDateTimeField(allow_null=True)
    handed_over_at = CountyDateTimeField(allow_null=True)
    ended_at = CountyDateTimeField(allow_null=True)
    notices_waiting = serializers.IntegerField(
        read_only=True, help_text="Notices not acknowledged yet and still waited for")
    checklist_total = serializers.IntegerField(read_only=True)
    checklist_done = serializers.IntegerField(read_only=True)
    attached = ("task_groups", "notices_waiting", "checklist_total", "checklist_done")

    class Meta:
        model = Response
        fields = [name for name in ResponseSerializer.Meta.fields
                  if name not in ("level_changes", "notices", "checklist")] + [
            "notices_waiting", "checklist_total", "checklist_done"]
        read_only_fields = fields


class NewResponseSerializer(Serializer):
    """Propose a level (the office), or start it directly (`direct`: the authority itself)."""

    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    level = serializers.ChoiceField(choices=ResponseLevel.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   max_length=1000)
    task_groups = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                               queryset=TaskGroup.objects.all(), default=list)
    direct = serializers.BooleanField(required=False, default=False)


class LevelChangeRequestSerializer(Serializer):
    level = serializers.ChoiceField(choices=ResponseLevel.choices)
    reason = serializers.CharField(max_length=1000)


class HandOverSerializer(Serializer):
    to = serializers.CharField(max_length=100)
    at = HappenedDateTimeField()


class SiteHeadquartersSerializer(Serializer):
    leader = serializers.CharField(max_length=50)
    place = serializers.CharField(max_length=200)
    set_up_at = HappenedDateTimeField()


class ConditionSerializer(Serializer):
    condition = serializers.ChoiceField(choices=CONDITIONS)
