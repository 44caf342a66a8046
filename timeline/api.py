from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from directory.authority import VIEW_TIMELINE
from timeline.models import Event
from timeline.selectors import MAX_PAGE, events_after
from zezhou_heat.api import permission


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = Event
        fields = ["seq", "occurred_at", "actor", "actor_name", "kind", "subject_type",
                  "subject_id", "subject_label", "old", "new"]


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
    with the last `seq` received until the answer is empty."""

    serializer_class = EventSerializer
    pagination_class = None
    permission_classes = [permission(VIEW_TIMELINE)]

    def get_queryset(self):
        after = _non_negative_int(self.request.query_params, "after", 0)
        limit = _non_negative_int(self.request.query_params, "limit", MAX_PAGE, MAX_PAGE)
        return events_after(after, limit=limit)

    @extend_schema(parameters=[
        OpenApiParameter("after", OpenApiTypes.INT, description="Last sequence number seen"),
        OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {MAX_PAGE}"),
    ])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
