"""API plumbing shared by every app."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import pagination, parsers, permissions, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response

from zezhou_heat import dates, text
from zezhou_heat.errors import StateConflict

MAX_JSON_DEPTH = 20  # the deepest body the API takes is three levels; 20 leaves room
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 2**31 - 1


def exception_handler(exc, context):
    """A service refusing input with Django's ValidationError answers 400 with field
    errors, like a serializer would, instead of a 500."""
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module's
    # JSONParser) when it loads, so importing it at the top is a cycle when this module is
    # the first to load DRF (Celery's start-up checks do that).
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return Response({"detail": _("The request body is larger than %(size)s MB; no field "
                                     "takes that much text.") % {"size": f"{limit:g}"}},
                        status=status.HTTP_400_BAD_REQUEST)
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


class CountyDateTimeField(serializers.DateTimeField):
    """A stored time, read only, written as DRF's DateTimeField writes it (ISO 8601 in the
    county's time zone, TIME_ZONE) for a fraction of the cost: the zone is Django's cached
    default, not the current zone looked up for every value (the project never activates
    another). For long lists."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        text = value.astimezone(timezone.get_default_timezone()).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text


# For every serializer that reads a request body: a key it does not take (unknown, or
# read-only and so ignored) is an error naming it, and so is text anywhere in a value that
# breaks the shared text rule (zezhou_heat.text), before any field looks the value up (a NUL
# in a code would reach PostgreSQL, which refuses it). Comments, not docstrings, here and on
# the two classes below: drf-spectacular would give a docstring of these bases to every
# serializer without one of its own as its description in the schema.
class StrictInput:

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for key in data:
                field = self.fields.get(key)
                if field is None:
                    errors[key] = [_("Unknown field.")]
                elif field.read_only:
                    errors[key] = [_("This field cannot be written.")]
                elif refusal := _text_refusal(
                        data.getlist(key) if hasattr(data, "getlist") else data[key]):
                    errors[key] = refusal
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _text_refusal(value):
    """The text rule's error for one value: a list of messages, or for an object (such as a
    written report's `contents`) the messages under each offending key."""
    if isinstance(value, Mapping):
        nested = {str(key): refusal for key, item in value.items()
                  if (refusal := _text_refusal(item) or _text_refusal(str(key)))}
        return nested
    if found := text.refused_anywhere(value):
        return [str(text.MESSAGE) % {"found": ", ".join(found)}]
    return None


# The project's serializers: strict about their input.
class Serializer(StrictInput, serializers.Serializer):
    pass


class ModelSerializer(StrictInput, serializers.ModelSerializer):
    pass


# Fields whose representation of a stored value is that value (a str, an int, a bool, a
# choice's value, an id, JSON).
_STORED_AS_SHOWN = (serializers.CharField, serializers.IntegerField, serializers.BooleanField,
                    serializers.ChoiceField, serializers.JSONField,
                    serializers.PrimaryKeyRelatedField, serializers.ReadOnlyField)


# Read only, for long lists: represents the dicts of a values() query, not model
# instances. Its fields are declared as any serializer's (and the schema reads them), but
# a row is written by one pass over a plan made once per class: each field's value is read
# by its `source` key and copied as it is where DRF would only copy it, converted by the
# field otherwise; a SerializerMethodField receives the row (and no context: the plan's
# fields belong to an instance of their own).
class RowSerializer(ModelSerializer):
    # Keys the view adds to each row after the query, from one query for the whole page (a
    # many-to-many's codes, counts): not columns of values().
    attached = ()

    def to_representation(self, row):
        shown = {}
        for name, source, convert in self._plan():
            value = row if source == "*" else row[source]
            shown[name] = value if convert is None or value is None else convert(value)
        return shown

    @classmethod
    def columns(cls):
        """The keys a row needs: give them to values()."""
        return [source for _, source, _ in cls._plan()
                if source != "*" and source not in cls.attached]

    @classmethod
    def _plan(cls):
        if "_row_plan" not in cls.__dict__:
            cls._row_plan = [(name, field.source, _converter(field))
                             for name, field in cls().fields.items() if not field.write_only]
        return cls._row_plan


def _converter(field):
    if isinstance(field, serializers.SerializerMethodField):
        return field.to_representation
    if isinstance(field, _STORED_AS_SHOWN) and type(field).to_representation in {
            kind.to_representation for kind in _STORED_AS_SHOWN}:
        return None
    return field.to_representation


class NoteSerializer(Serializer):
    """An optional note with a decision (approve, reject)."""

    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def validated(serializer_class, request):
    """The request body checked by the serializer (400 with field errors otherwise)."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested deeper than MAX_JSON_DEPTH with a 400
    (Python's decoder raises RecursionError, a 500, at about a thousand levels)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply.")) from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_("The JSON body is nested too deeply."))
        return data


def _depth(value):
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1)
                         for child in (item.values() if isinstance(item, dict) else item))
    return deepest


class Pagination(pagination.LimitOffsetPagination):
    """Limit and offset, refused with the parameter named when out of range (a limit past
    PostgreSQL's bigint was a 500). At most MAX_PAGE_SIZE rows a page."""

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request):
        self._check_range(request, self.limit_query_param, MAX_PAGE_SIZE)
        return super().get_limit(request)

    def get_offset(self, request):
        self._check_range(request, self.offset_query_param, MAX_OFFSET)
        return super().get_offset(request)

    @staticmethod
    def _check_range(request, name, maximum):
        raw = request.query_params.get(name)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            return  # absent or not a number: DRF's default applies
        if value > maximum:
            raise serializers.ValidationError({name: [
                _("Ensure this value is less than or equal to %(limit_value)s.")
                % {"limit_value": maximum}]})


# The refusals every operation may answer, declared in the schema (drf-spectacular documents
# only the success), so that a client, and the schema fuzzing in tests/test_api_fuzz.py,
# knows every answer the API gives: bad input 400 (a serializer's or a service's field
# errors, a malformed body, a limit out of range, a control character in the address), no
# authority 403 (also without a valid session or token: the API names no scheme to retry
# with, so never 401), nothing by that id that this user may see 404, the object not in a
# state for the step 409 (the services' StateConflict), a body of another media type 415.
ERROR_RESPONSES = {
    "400": ("FieldErrors", "Bad input: each key names the field (or parameter, "
                           "`non_field_errors`, `detail`) with its messages."),
    "403": ("Error", "Not signed in, or no authority for this."),
    "404": ("Error", "Not found, or not visible to this user."),
    "409": ("Error", "Not possible in the object's current state; `detail` says why."),
    "415": ("Error", "A body without a Content-Type, or one the operation does not take "
                     "(it takes JSON, form and multipart)."),
}
ERROR_SCHEMAS = {
    "Error": {"type": "object", "properties": {"detail": {"type": "string"}},
              "required": ["detail"]},
    "FieldErrors": {
        "type": "object",
        "description": "Messages by field name; a nested object for a nested field.",
        "additionalProperties": {"anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object"},
            {"type": "string"}]}},
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
STATELESS_OPERATIONS = {"auth_token_create"}  # DRF's token view: no object, no state


def declare_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: the error answers of each operation."""
    result.setdefault("components", {}).setdefault("schemas", {}).update(ERROR_SCHEMAS)
    for path, methods in result.get("paths", {}).items():
        for method, operation in methods.items():
            if method not in WRITE_METHODS and method != "get":
                continue
            security = operation.get("security", [])
            codes = ["400"]
            if security and {} not in security:  # {}: open to anyone (AllowAny)
                codes.append("403")
            if "{" in path:
                codes.append("404")
            if method in WRITE_METHODS and operation["operationId"] not in STATELESS_OPERATIONS:
                codes.append("409")
            if "requestBody" in operation:
                codes.append("415")
            for code in codes:
                component, description = ERROR_RESPONSES[code]
                operation["responses"].setdefault(code, {
                    "content": {"application/json": {"schema": {
                        "$ref": f"#/components/schemas/{component}"}}},
                    "description": description})
    return result
