from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from command_room.audience import Audience
from command_room.frames import frames_of
from timeline.models import Event
from timeline.selectors import MAX_PAGE, events_after
from zezhou_heat.api import permission
from zezhou_heat.permissions import VIEW_TIMELINE


class GroupLineSerializer(serializers.Serializer):
    one = serializers.CharField(help_text="For one unit")
    other = serializers.CharField(help_text="For several units")


class GroupSerializer(serializers.Serializer):
    """Events that share one feed line (timeline.groups): 17 units' notice clocks overdue."""

    key = serializers.CharField(help_text="The same for every event of the line")
    unit = serializers.CharField(help_text="The unit this event names")
    text = serializers.DictField(
        child=GroupLineSerializer(),
        help_text="The line per interface language, with %(count)s and %(units)s to fill")


class EventSerializer(serializers.ModelSerializer):
    """The shape of command_room.frames.frames_of, for the API's documentation."""

    incident = serializers.IntegerField(allow_null=True)
    township = serializers.IntegerField(allow_null=True, help_text="The incident's township")
    reporter_unit = serializers.IntegerField(allow_null=True)
    units = serializers.ListField(child=serializers.IntegerField(),
                                  help_text="Units concerned: township, reporter, noticed units")
    drill = serializers.BooleanField()
    alert = serializers.ChoiceField(["overdue", "level_i", "major_warning"], allow_null=True)
    text = serializers.DictField(child=serializers.CharField(),
                                 help_text="One line per interface language")
    group = GroupSerializer(allow_null=True, help_text="Null for an event shown alone")
    routine = serializers.BooleanField(
        help_text="Routine administration, kept off the live feed (still on the timeline)")

    class Meta:
        model = Event
        fields = ["seq", "occurred_at", "actor", "actor_name", "kind", "subject_type",
                  "subject_id", "subject_label", "old", "new", "incident", "township",
                  "reporter_unit", "units", "drill", "alert", "text", "group", "routine"]


def _non_negative_int(params, name, default, maximum=None):
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("“%(value)s” is not a whole number.") % {
            "value": raw}]}) from None
    if value < 0:
        raise ValidationError({name: [_("Must not be negative.")]})
    return min(value, maximum) if maximum else value


class EventsAfterView(generics.ListAPIView):
    """Events after a sequence number, oldest first: what a live view missed. Ask again
    with the last `seq` received until the answer is empty. Only the events the user's
    positions let them see; the same frames the live socket sends."""

    serializer_class = EventSerializer
    pagination_class = None
    permission_classes = [permission(VIEW_TIMELINE)]

    def get_queryset(self):
        after = _non_negative_int(self.request.query_params, "after", 0)
        limit = _non_negative_int(self.request.query_params, "limit", MAX_PAGE, MAX_PAGE)
        return events_after(after, Audience.of(self.request.user), limit=limit)

    def list(self, request, *args, **kwargs):
        return Response(frames_of(self.get_queryset()))

    @extend_schema(parameters=[
        OpenApiParameter("after", OpenApiTypes.INT, description="Last sequence number seen"),
        OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_PAGE}"),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
