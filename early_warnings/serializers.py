from rest_framework import serializers

from directory.models import Unit
from early_warnings.choices import Channel, WarningLevel
from early_warnings.models import EarlyWarning, WarningRevision
from early_warnings.notice import public_notice
from zezhou_heat.api import (
    CountyDateTimeField,
    HappenedDateTimeField,
    ModelSerializer,
    PlannedDateTimeField,
    RowSerializer,
    Serializer,
)

TOWNSHIPS = Unit.objects.townships()


class RevisionSerializer(ModelSerializer):
    class Meta:
        model = WarningRevision
        fields = ["version", "msg_type", "sent_at", "level", "area", "places", "changed_by",
                  "note"]


class WarningSerializer(ModelSerializer):
    """A warning as read, and a draft as written (POST; add `submit: true` to submit it)."""

    townships = serializers.SlugRelatedField(slug_field="code", many=True, queryset=TOWNSHIPS,
                                             required=False)
    starts_at = PlannedDateTimeField(required=False, allow_null=True)
    ends_at = PlannedDateTimeField(required=False, allow_null=True)
    public_notice = serializers.SerializerMethodField()
    revisions = RevisionSerializer(many=True, read_only=True)
    submit = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = EarlyWarning
        fields = ["id", "incident", "category", "level", "townships", "places", "starts_at",
                  "ends_at", "impact", "watch_for", "measures", "issuing_body", "source",
                  "is_drill", "channels", "state", "version", "drafted_by", "approved_by",
                  "issued_at", "reported_to", "reported_at", "lifted_by", "lifted_at",
                  "lift_reason", "public_notice", "revisions", "submit"]
        read_only_fields = ["channels", "state", "version", "drafted_by", "approved_by",
                            "issued_at", "reported_to", "reported_at", "lifted_by", "lifted_at",
                            "lift_reason"]

    def get_public_notice(self, warning) -> str | None:
        """None for a warning reported up: the upper government issues its notice."""
        return public_notice(warning, townships=[unit.short_name
                                                 for unit in warning.townships.all()])


class WarningListSerializer(RowSerializer):
    """A warning in a list: the detail's own fields and townships, without its revisions and
    public notice (read one warning for those)."""

    townships = serializers.ListField(child=serializers.CharField(), read_only=True,
                                      help_text="The townships' codes")
    starts_at = CountyDateTimeField(allow_null=True)
    ends_at = CountyDateTimeField(allow_null=True)
    issued_at = CountyDateTimeField(allow_null=True)
    reported_at = CountyDateTimeField(allow_null=True)
    lifted_at = CountyDateTimeField(allow_null=True)
    attached = ("townships",)

    class Meta:
        model = EarlyWarning
        fields = [name for name in WarningSerializer.Meta.fields
                  if name not in ("public_notice", "revisions", "submit")]
        read_only_fields = fields


class UpdateSerializer(Serializer):
    level = serializers.ChoiceField(choices=WarningLevel.choices)
    townships = serializers.SlugRelatedField(slug_field="code", many=True, queryset=TOWNSHIPS)
    places = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ChannelsSerializer(Serializer):
    channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices))


class LiftSerializer(Serializer):
    reason = serializers.CharField(max_length=500)


class ReportUpSerializer(Serializer):
    to = serializers.CharField(max_length=100)
    at = HappenedDateTimeField()
