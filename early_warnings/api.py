from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from early_warnings import cap, selectors, services
from early_warnings.filters import WarningFilter
from early_warnings.serializers import (
    ChannelsSerializer,
    LiftSerializer,
    ReportUpSerializer,
    UpdateSerializer,
    WarningListSerializer,
    WarningSerializer,
)
from zezhou_heat.api import NoteSerializer, permission, validated
from zezhou_heat.permissions import VIEW_WARNINGS


class WarningViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Early warnings (预警). Each step calls the same service as the pages: 403 when the plan
    gives you no authority for it, 409 when the warning is not in a state for it."""

    serializer_class = WarningSerializer
    permission_classes = [permission(VIEW_WARNINGS)]
    filterset_class = WarningFilter

    def get_queryset(self):
        """County readers see every warning; anyone else only the issued and lifted ones
        (selectors.visible_to, as the timeline shows them): another one is a 404."""
        warnings = selectors.visible_to(self.request.user)
        if self.action == "list":
            return warnings.prefetch_related(None).values(*WarningListSerializer.columns())
        return warnings.prefetch_related("revisions")

    def get_serializer_class(self):
        """A list row is lean (no revisions, no public notice); one warning is read whole."""
        return WarningListSerializer if self.action == "list" else WarningSerializer

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        townships = selectors.township_codes([row["id"] for row in rows])
        for row in rows:
            row["townships"] = townships[row["id"]]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def _reply(self, warning, code=status.HTTP_200_OK):
        return Response(WarningSerializer(self.get_queryset().get(pk=warning.pk)).data,
                        status=code)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        service = (services.warning_drafted_and_submitted if data.pop("submit")
                   else services.warning_draft_saved)
        warning = service(actor=self.request.user, townships=data.pop("townships", []), **data)
        serializer.instance = self.get_queryset().get(pk=warning.pk)

    def _step(self, service, request, serializer_class=None):
        fields = validated(serializer_class, request) if serializer_class else {}
        return self._reply(service(actor=request.user, warning=self.get_object(), **fields))

    @extend_schema(request=None, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._step(services.warning_submitted, request)

    @extend_schema(request=NoteSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._step(services.warning_approved, request, NoteSerializer)

    @extend_schema(request=NoteSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._step(services.warning_rejected, request, NoteSerializer)

    @extend_schema(request=ReportUpSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"], url_path="report-up")
    def report_up(self, request, pk=None):
        return self._step(services.warning_reported_up, request, ReportUpSerializer)

    @extend_schema(request=UpdateSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"], url_path="update", url_name="revise")
    def revise(self, request, pk=None):
        return self._step(services.warning_updated, request, UpdateSerializer)

    @extend_schema(request=ChannelsSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def channels(self, request, pk=None):
        return self._step(services.warning_channels_set, request, ChannelsSerializer)

    @extend_schema(request=LiftSerializer, responses={200: WarningSerializer})
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        return self._step(services.warning_lifted, request, LiftSerializer)

    @extend_schema(responses={(200, "application/cap+xml"): str})
    @action(detail=True, methods=["get"], url_path=r"cap/(?P<version>\d+)")
    def cap(self, request, pk=None, version=None):
        """The CAP 1.2 message of one version (Alert, Update or Cancel)."""
        revision = self.get_object().revisions.filter(version=version).first()
        if revision is None:
            raise NotFound()
        return HttpResponse(cap.alert_xml(revision), content_type="application/cap+xml")

    @extend_schema(responses=WarningSerializer(many=True))
    @action(detail=False, url_path="in-effect", pagination_class=None)
    def in_effect(self, request):
        """The feed of warnings in effect, as JSON (the Atom feed at /warnings/feed.atom links
        each one's CAP message)."""
        warnings = selectors.in_effect().prefetch_related("revisions")
        return Response(WarningSerializer(warnings, many=True).data)
