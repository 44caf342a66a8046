from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import get_object_or_404  # a pk that is not a number: 404
from rest_framework.response import Response as ApiResponse

from incidents.selectors import incidents_visible_to
from response import selectors, services
from response.models import ChecklistItem, Notice
from response.serializers import (
    ChecklistItemSerializer,
    ChecklistUpdateSerializer,
    ConditionSerializer,
    HandOverSerializer,
    LevelChangeRequestSerializer,
    NewResponseSerializer,
    NoticeSerializer,
    ResponseListSerializer,
    ResponseSerializer,
    SiteHeadquartersSerializer,
)
from zezhou_heat.api import NoteSerializer, permission, validated
from zezhou_heat.permissions import VIEW_INCIDENTS

MayView = permission(VIEW_INCIDENTS)


class ResponseViewSet(viewsets.ReadOnlyModelViewSet):
    """Response levels Ⅰ/Ⅱ/Ⅲ. Each step calls the same service as the pages: 403 when the
    plan gives you no authority for it, 409 when the response is not in a state for it."""

    serializer_class = ResponseSerializer
    permission_classes = [MayView]
    filterset_fields = ["incident", "state", "level"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.responses_listed(self.request.user).values(
                *ResponseListSerializer.columns())
        return selectors.responses_visible_to(self.request.user)

    def get_serializer_class(self):
        """A list row is lean (counts instead of notices and checklist); one response is
        read whole."""
        return ResponseListSerializer if self.action == "list" else ResponseSerializer

    def list(self, request):
        rows = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        details = selectors.page_details([row["id"] for row in rows])
        for row in rows:
            row.update(details[row["id"]])
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)

    def _reply(self, response, code=status.HTTP_200_OK):
        return ApiResponse(ResponseSerializer(self.get_queryset().get(pk=response.pk)).data,
                           status=code)

    @extend_schema(request=NewResponseSerializer, responses={201: ResponseSerializer})
    def create(self, request):
        """Propose a level (the office); with `direct`, start it (the level's authority)."""
        data = validated(NewResponseSerializer, request)
        if not incidents_visible_to(request.user).filter(pk=data["incident"].pk).exists():
            raise NotFound()
        service = (services.response_started_directly if data.pop("direct")
                   else services.response_proposed)
        return self._reply(service(actor=request.user, **data), status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._reply(services.response_approved(
            actor=request.user, response=self.get_object(), **validated(NoteSerializer, request)))

    @extend_schema(request=NoteSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._reply(services.response_rejected(
            actor=request.user, response=self.get_object(), **validated(NoteSerializer, request)))

    @extend_schema(request=LevelChangeRequestSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"], url_path="change-level")
    def change_level(self, request, pk=None):
        return self._reply(services.response_level_changed(
            actor=request.user, response=self.get_object(),
            **validated(LevelChangeRequestSerializer, request)))

    @extend_schema(request=SiteHeadquartersSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"], url_path="site-headquarters")
    def site_headquarters(self, request, pk=None):
        return self._reply(services.site_headquarters_recorded(
            actor=request.user, response=self.get_object(),
            **validated(SiteHeadquartersSerializer, request)))

    @extend_schema(request=ConditionSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"], url_path="confirm-condition")
    def confirm_condition(self, request, pk=None):
        return self._reply(services.condition_confirmed(
            actor=request.user, response=self.get_object(), **validated(ConditionSerializer, request)))

    @extend_schema(request=HandOverSerializer, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        return self._reply(services.response_handed_over(
            actor=request.user, response=self.get_object(), **validated(HandOverSerializer, request)))

    @extend_schema(request=None, responses={200: ResponseSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self._reply(services.response_ended(actor=request.user,
                                                   response=self.get_object()))


class NoticeViewSet(viewsets.ReadOnlyModelViewSet):
    """The activation notices addressed to the user's units."""

    serializer_class = NoticeSerializer
    queryset = Notice.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        return selectors.notices_for(self.request.user)

    @extend_schema(request=None, responses={200: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notice = get_object_or_404(Notice, pk=pk)
        return ApiResponse(NoticeSerializer(services.notice_acknowledged(
            actor=request.user, notice=notice)).data)


class ChecklistItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The checklist items of the user's task groups."""

    serializer_class = ChecklistItemSerializer
    queryset = ChecklistItem.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self):
        return selectors.checklist_for(self.request.user)

    @extend_schema(request=ChecklistUpdateSerializer, responses={200: ChecklistItemSerializer})
    @action(detail=True, methods=["post"])
    def mark(self, request, pk=None):
        item = get_object_or_404(ChecklistItem, pk=pk)
        return ApiResponse(ChecklistItemSerializer(services.checklist_item_updated(
            actor=request.user, item=item, **validated(ChecklistUpdateSerializer, request))).data)
