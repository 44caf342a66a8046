from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from directory import selectors, services
from directory.filters import PersonFilter
from directory.models import DutyShift, Person
from directory.serializers import (
    DutyShiftSerializer,
    PersonSerializer,
    TaskGroupSerializer,
    UnitSerializer,
)
from zezhou_heat.api import permission
from zezhou_heat.permissions import VIEW_DIRECTORY

MayView = permission(VIEW_DIRECTORY)


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.units()
    serializer_class = UnitSerializer
    permission_classes = [MayView]
    lookup_field = "code"
    filterset_fields = ["kind"]


class TaskGroupViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = selectors.task_groups()
    serializer_class = TaskGroupSerializer
    permission_classes = [MayView]
    lookup_field = "code"


class PersonViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                    viewsets.ReadOnlyModelViewSet):
    """The contact directory. Writes need the directory-management permission (checked by
    the service, as for the page)."""

    serializer_class = PersonSerializer
    permission_classes = [MayView]
    filterset_class = PersonFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Person.objects.none()
        return selectors.people(self.request.user)

    def perform_create(self, serializer):
        self._save(serializer, Person())

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @transaction.atomic
    def _save(self, serializer, person):
        data = dict(serializer.validated_data)
        positions = data.pop("positions", None)
        for name, value in data.items():
            setattr(person, name, value)
        services.person_saved(actor=self.request.user, person=person, positions=positions)
        serializer.instance = selectors.people(self.request.user).get(pk=person.pk)


class DutyShiftViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = DutyShift.objects.select_related("unit", "person")
    serializer_class = DutyShiftSerializer
    permission_classes = [MayView]
    filterset_fields = ["unit", "person"]

    def perform_create(self, serializer):
        serializer.instance = services.shift_scheduled(
            actor=self.request.user, **serializer.validated_data)

    @extend_schema(responses=DutyShiftSerializer(many=True))
    @action(detail=False, url_path="on-duty", pagination_class=None, filter_backends=[])
    def on_duty(self, request):
        """Shifts on duty at this moment, for the office and every member unit."""
        return Response(DutyShiftSerializer(selectors.shifts_on_duty(), many=True).data)
