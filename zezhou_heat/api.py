"""API plumbing shared by every app."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from zezhou_heat import dates
from zezhou_heat.errors import StateConflict


def exception_handler(exc, context):
    """A service refusing input with Django's ValidationError answers 400 with field
    errors, like a serializer would, instead of a 500."""
    if isinstance(exc, StateConflict):
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {
            "non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


def permission(perm):
    """A DRF permission class requiring one Django permission."""

    class HasPermission(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.has_perm(perm))

    HasPermission.__name__ = f"Has_{perm.replace('.', '_')}"
    return HasPermission


class HappenedDateTimeField(serializers.DateTimeField):
    """A time something happened: zezhou_heat.dates' window, as the pages' HappenedField."""

    kind = dates.HAPPENED

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except OverflowError:  # DRF's own check overflows on 0001-01-01 without an offset
            self._check_unconverted(value)
            self.fail("overflow")
        except serializers.ValidationError:  # "out of range" on 9999-12-31T23:59Z
            self._check_unconverted(value)
            raise
        self._check(moment)
        return moment

    def _check_unconverted(self, value):
        """A time Python cannot convert to county time: name the window when that is why."""
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is not None:
            self._check(parsed)

    def _check(self, moment):
        problem = dates.moment_problem(moment, self.kind)
        if problem:
            raise serializers.ValidationError(problem, code=dates.MomentValidator.code)


class PlannedDateTimeField(HappenedDateTimeField):
    """A planned or expected time: not before 2000, not more than a year ahead."""

    kind = dates.PLANNED


class NoteSerializer(serializers.Serializer):
    """An optional note with a decision (approve, reject)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")


def validated(serializer_class, request):
    """The request body checked by the serializer (400 with field errors otherwise)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
