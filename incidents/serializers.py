from django.utils.translation import gettext as _
from rest_framework import serializers

from directory.models import Unit
from directory.validators import normalise_phone
from incidents import written_report
from incidents.choices import ReportKind
from incidents.grading import suggest_response_level
from incidents.models import Deadline, Figures, Incident, Inquiry, Report, UpwardReport
from zezhou_heat.api import (
    CountyDateTimeField,
    HappenedDateTimeField,
    ModelSerializer,
    PlannedDateTimeField,
    RowSerializer,
    Serializer,
)


class DeadlineSerializer(ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Deadline
        fields = ["id", "kind", "inquiry", "starts_at", "due_at", "remind_at", "reminded_at",
                  "met_at", "overdue_at", "cancelled_at", "state"]


class ReportSerializer(ModelSerializer):
    title = serializers.CharField(read_only=True)

    class Meta:
        model = Report
        fields = ["id", "kind", "number", "title", "submitted_at", "author", "summary",
                  "measures", "contents", "is_complete", "on_time", *Figures.FIELDS]


class UpwardReportSerializer(ModelSerializer):
    sent_at = HappenedDateTimeField()

    class Meta:
        model = UpwardReport
        fields = ["id", "report", "recipient", "recipient_detail", "channel", "sent_at",
                  "skipped_level", "recorded_by"]
        read_only_fields = ["skipped_level", "recorded_by"]


class InquirySerializer(ModelSerializer):
    asked_at = HappenedDateTimeField()
    deadline = DeadlineSerializer(read_only=True)

    class Meta:
        model = Inquiry
        fields = ["id", "asked_by", "asked_at", "question", "reply", "replied_at", "deadline"]
        read_only_fields = ["reply", "replied_at"]


class ReplySerializer(Serializer):
    reply = serializers.CharField(max_length=Inquiry._meta.get_field("reply").max_length)


class IncidentSerializer(ModelSerializer):
    """An incident as read, and the first report as written (POST)."""

    township = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.townships())
    reporter_unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True)
    occurred_at = HappenedDateTimeField()
    reported_at = HappenedDateTimeField()
    heating_stopped_at = HappenedDateTimeField(required=False, allow_null=True)
    expected_restore_at = PlannedDateTimeField(required=False, allow_null=True)
    suggested_level = serializers.SerializerMethodField()
    deadlines = DeadlineSerializer(many=True, read_only=True)
    reports = ReportSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = ["id", "occurred_at", "reported_at", "township", "place", "reporter_unit",
                  "reporter_name", "reporter_phone", "channel", "scenario", "description",
                  *Figures.FIELDS, "heat_sources", "heating_stopped_at", "expected_restore_at",
                  "beyond_township_capacity", "is_drill", "grade", "grade_criterion",
                  "suggested_level", "status", "reporting_closed", "deadlines", "reports"]
        read_only_fields = ["grade", "grade_criterion", "status", "reporting_closed"]

    def get_suggested_level(self, incident) -> str:
        return suggest_response_level(
            grade=incident.grade, deaths=incident.deaths,
            serious_injuries=incident.serious_injuries,
            beyond_township_capacity=incident.beyond_township_capacity).level

    def validate_reporter_phone(self, value):
        return normalise_phone(value)


class IncidentListSerializer(RowSerializer):
    """An incident in a list: the detail's own fields, and instead of its deadlines and
    reports what a list shows of them, the next running clock and whether one is overdue."""

    township = serializers.CharField(source="township__code", read_only=True)
    reporter_unit = serializers.CharField(source="reporter_unit__code", read_only=True,
                                          allow_null=True)
    occurred_at = CountyDateTimeField()
    reported_at = CountyDateTimeField()
    heating_stopped_at = CountyDateTimeField(allow_null=True)
    expected_restore_at = CountyDateTimeField(allow_null=True)
    suggested_level = serializers.SerializerMethodField()
    next_due_at = CountyDateTimeField(
        allow_null=True, help_text="When the next running clock falls due; null when none runs")
    has_overdue = serializers.BooleanField(
        read_only=True, help_text="A clock is overdue: neither met nor cancelled")

    class Meta:
        model = Incident
        fields = [name for name in IncidentSerializer.Meta.fields
                  if name not in ("deadlines", "reports")] + ["next_due_at", "has_overdue"]
        read_only_fields = fields

    def get_suggested_level(self, row) -> str:
        return suggest_response_level(
            grade=row["grade"], deaths=row["deaths"], serious_injuries=row["serious_injuries"],
            beyond_township_capacity=row["beyond_township_capacity"]).level


class FiguresSerializer(ModelSerializer):
    class Meta:
        model = Incident
        fields = Figures.FIELDS
        extra_kwargs = {name: {"required": True} for name in Figures.FIELDS}


class NewReportSerializer(FiguresSerializer):
    """A written, continuation or final report. Written: `contents` holds §4.1's items."""

    kind = serializers.ChoiceField(choices=[ReportKind.WRITTEN, ReportKind.CONTINUATION,
                                            ReportKind.FINAL])
    summary = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=Report._meta.get_field("summary").max_length)
    measures = serializers.CharField(required=False, allow_blank=True, default="",
                                     max_length=Report._meta.get_field("measures").max_length)
    contents = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=written_report.MAX_LENGTH),
        required=False, default=dict)

    # What each kind takes besides the figures: a written report its §4.1 items (its
    # summary and measures are items of `contents`), the others a summary and measures.
    TAKES = {ReportKind.WRITTEN: {"contents"},
             ReportKind.CONTINUATION: {"summary", "measures"},
             ReportKind.FINAL: {"summary", "measures"}}

    class Meta(FiguresSerializer.Meta):
        fields = ["kind", "summary", "measures", "contents", *Figures.FIELDS]

    def validate_contents(self, value):
        unknown = sorted(set(value) - set(written_report.KEYS))
        if unknown:
            raise serializers.ValidationError(_("Unknown items: %(items)s.") % {
                "items": ", ".join(unknown)})
        return value

    def validate(self, attrs):
        given = set(self.initial_data) & {"summary", "measures", "contents"}
        ignored = sorted(given - self.TAKES[attrs["kind"]])
        if ignored:
            message = (_("A written report states these as items of “contents” "
                         "(course_of_events, measures_taken …).")
                       if attrs["kind"] == ReportKind.WRITTEN
                       else _("Only a written report has “contents”; say it in the summary."))
            raise serializers.ValidationError({name: [message] for name in ignored})
        if attrs["kind"] != ReportKind.WRITTEN and not attrs["summary"].strip():
            raise serializers.ValidationError({"summary": self.fields["summary"].error_messages[
                "blank"]})
        return attrs
