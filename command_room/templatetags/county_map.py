"""The county map, composed in templates: `{% county_map %}` on the incident list (the
incidents and warnings this user sees), `{% county_map incidents warnings %}` where a page
has them already (the wall), so that the floors below never import the command room."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder

from command_room.maps import active_incidents, map_data, warnings_in_effect

register = template.Library()


@register.inclusion_tag("command_room/_county_map.html", takes_context=True)
def county_map(context, incidents=None, warnings=None, variant="page"):
    """`variant`: "page" (zoom and drag) or "wall" (fixed, larger labels). Given the incidents
    and warnings, it needs no request (the wall's panels are rendered without one)."""
    if incidents is None:
        incidents = active_incidents(context["request"].user)
    if warnings is None:
        warnings = warnings_in_effect(context["request"].user)
    data = map_data(incidents, warnings)
    return {"map": data, "map_json": json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False),
            "variant": variant}
