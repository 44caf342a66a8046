from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response

from directory import selectors, services, two_factor
from directory.filters import PersonFilter
from directory.models import DutyShift, Person
from directory.serializers import (
    DutyShiftSerializer,
    PersonSerializer,
    TaskGroupSerializer,
    UnitSerializer,
)
from zezhou_heat.api import StrictInput, permission
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


class TokenRequestSerializer(StrictInput, AuthTokenSerializer):
    """DRF's token request, plus the second factor where the account has one or must
    (directory.two_factor): `otp_token`, a 6-digit authenticator code or a recovery code."""

    otp_token = serializers.CharField(
        required=False, allow_blank=True, max_length=32, write_only=True,
        help_text="The 6-digit code from the authenticator app, or a recovery code: required "
                  "of accounts that sign in with a second factor.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if two_factor.totp_device(user) is None:
            if two_factor.enforced_for(user):
                raise serializers.ValidationError({"otp_token": [_(
                    "This account must sign in with a second factor, and has none yet: sign "
                    "in on the pages once to set up an authenticator app.")]})
            return attrs
        if not attrs.get("otp_token"):
            raise serializers.ValidationError({"otp_token": [_(
                "This account signs in with a second factor: give the 6-digit code from the "
                "authenticator app, or a recovery code.")]})
        try:
            two_factor.verify_code(user, attrs["otp_token"])
        except ValidationError as error:
            raise serializers.ValidationError({"otp_token": error.messages}) from None
        return attrs


class ObtainTokenView(ObtainAuthToken):
    """`POST /api/auth/token/`: a token for a user name and password, and for an account that
    signs in with a second factor, its code too (`otp_token`). A token is a bearer credential
    issued after both factors; an administrator's reset of the second factor revokes it."""

    serializer_class = TokenRequestSerializer
