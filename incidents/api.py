from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from incidents import selectors, services
from incidents.choices import ReportKind
from incidents.filters import IncidentFilter
from incidents.models import Figures, Inquiry
from incidents.serializers import (
    IncidentListSerializer,
    IncidentSerializer,
    InquirySerializer,
    NewReportSerializer,
    ReplySerializer,
    ReportSerializer,
    UpwardReportSerializer,
)
from zezhou_heat.api import permission
from zezhou_heat.permissions import VIEW_INCIDENTS

TRANSITIONS = ["begin_response", "bring_under_control", "close"]


FIRST_REPORT = OpenApiExample("A first report", request_only=True, value={
    "occurred_at": "2026-01-12T02:40:00+08:00", "reported_at": "2026-01-12T03:00:00+08:00",
    "township": "tw_nancun", "place": "东街换热站", "reporter_name": "李明",
    "reporter_phone": "13800001111", "channel": "phone", "scenario": "pipeline_damage",
    "description": "主管道爆裂，约2000户停暖，1名工人烫伤", "deaths": 0, "serious_injuries": 1,
    "direct_loss": "200000", "households_affected": 2000, "area_affected": "150000"})
CONTINUATION_REPORT = OpenApiExample("A continuation report", request_only=True, value={
    "kind": "continuation", "summary": "抢修进行中，已恢复1200户供热", "measures": "临时管道已接通",
    "deaths": 0, "serious_injuries": 1, "direct_loss": "200000", "households_affected": 800,
    "area_affected": "60000"})


@extend_schema_view(create=extend_schema(examples=[FIRST_REPORT]))
class IncidentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Incidents, their reports, upward reports, inquiries and lifecycle. Every write calls
    the same service as the pages; authority is checked there."""

    serializer_class = IncidentSerializer
    permission_classes = [permission(VIEW_INCIDENTS)]
    filterset_class = IncidentFilter

    def get_queryset(self):
        incidents = selectors.incidents_visible_to(self.request.user)
        if self.action == "list":
            return incidents.values(*IncidentListSerializer.columns())
        return incidents.prefetch_related("deadlines", "reports")

    def get_serializer_class(self):
        """A list row is lean (no deadlines, no reports: its next clock and whether one is
        overdue instead); one incident is read whole."""
        return IncidentListSerializer if self.action == "list" else IncidentSerializer

    def perform_create(self, serializer):
        incident = services.incident_reported(actor=self.request.user,
                                              **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=incident.pk)

    @extend_schema(request=NewReportSerializer, responses={201: ReportSerializer},
                   examples=[CONTINUATION_REPORT])
    @action(detail=True, methods=["post"])
    def reports(self, request, pk=None):
        """File a written (书面报告), continuation (续报) or final (终报) report."""
        incident = self.get_object()
        data = NewReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        figures = {name: values[name] for name in Figures.FIELDS}
        if values["kind"] == ReportKind.WRITTEN:
            report = services.written_report_saved(
                actor=request.user, incident=incident, contents=values["contents"],
                figures=figures)
        else:
            service = (services.continuation_report_filed
                       if values["kind"] == ReportKind.CONTINUATION else services.final_report_filed)
            report = service(actor=request.user, incident=incident, summary=values["summary"],
                             measures=values["measures"], figures=figures)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UpwardReportSerializer, responses={201: UpwardReportSerializer})
    @action(detail=True, methods=["post"], url_path="upward-reports")
    def upward_reports(self, request, pk=None):
        """Record a report passed up; skipping a level is marked."""
        incident = self.get_object()
        data = UpwardReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upward = services.upward_report_recorded(actor=request.user, incident=incident,
                                                 **data.validated_data)
        return Response(UpwardReportSerializer(upward).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InquirySerializer, responses={201: InquirySerializer})
    @action(detail=True, methods=["post"])
    def inquiries(self, request, pk=None):
        """Log an upper-level inquiry (催报/核实); its 30-minute reply clock starts."""
        incident = self.get_object()
        data = InquirySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inquiry = services.inquiry_recorded(actor=request.user, incident=incident,
                                            **data.validated_data)
        return Response(InquirySerializer(inquiry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReplySerializer, responses={200: InquirySerializer})
    @action(detail=True, methods=["post"], url_path=r"inquiries/(?P<inquiry_pk>\d+)/reply")
    def reply(self, request, pk=None, inquiry_pk=None):
        incident = self.get_object()
        inquiry = get_object_or_404(Inquiry, pk=inquiry_pk, incident=incident)
        data = ReplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inquiry = services.inquiry_replied(actor=request.user, inquiry=inquiry,
                                           reply=data.validated_data["reply"])
        return Response(InquirySerializer(inquiry).data)

    @extend_schema(request=None, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<transition>[a-z_]+)")
    def transition(self, request, pk=None, transition=None):
        """begin_response, bring_under_control or close. 403: no authority; 409: not now."""
        if transition not in TRANSITIONS:
            raise NotFound()
        incident = services.incident_status_changed(
            actor=request.user, incident=self.get_object(), transition=transition)
        return Response(IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data)
