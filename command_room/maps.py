"""The county map: active incidents by response level and the areas of warnings in effect,
drawn on the township boundaries an administrator uploaded or, until then, on the schematic
(the township seats at their coordinates). One dict, serialised into the page for
static/js/map.js; the boundaries themselves are served apart (directory: county_map_geojson)
so that a panel refresh does not carry them."""

from django.db.models import Prefetch
from django.urls import reverse

from directory.selectors import township_map
from early_warnings.selectors import in_effect
from incidents.choices import IncidentStatus, Scenario
from incidents.selectors import incidents_visible_to
from response.choices import RUNNING_STATES, ResponseLevel
from response.models import Response
from zezhou_heat.permissions import VIEW_WARNINGS

WARNING_RANK = {"general": 1, "larger": 2, "major": 3}


def active_incidents(user):
    """The incidents not closed that `user` may see, each with `.response`: its running
    response, if any (the command room's selector sets the same attribute)."""
    incidents = list(incidents_visible_to(user).exclude(status=IncidentStatus.CLOSED)
                     .prefetch_related(Prefetch("responses", to_attr="running_responses",
                                                queryset=Response.objects.filter(
                                                    state__in=RUNNING_STATES).order_by("-pk"))))
    for incident in incidents:
        incident.response = (incident.running_responses or [None])[0]
    return incidents


def warnings_in_effect(user):
    return list(in_effect()) if user.has_perm(VIEW_WARNINGS) else []


def map_data(incidents, warnings):
    """What map.js draws. Townships are keyed by their unit code; an incident in a township
    merged into another is drawn at that other."""
    geography = township_map()
    townships = {t.pk: t for t in geography["townships"]}
    boundaries = geography["boundaries"]
    shown = [t for t in townships.values() if t.merged_into_id is None]
    return {
        "schematic": boundaries is None,
        "source": boundaries.source if boundaries else "",
        "uploaded_at": boundaries.uploaded_at if boundaries else None,
        "boundaries": None if boundaries is None else reverse(
            "directory:county_map_geojson", args=[boundaries.pk]),
        "landmark": geography["landmark"] if boundaries is None else None,
        "townships": [_township(t) for t in shown],
        "incidents": [_incident(i, townships) for i in incidents],
        "warnings": _warned_areas(warnings, townships),
    }


def _township(township):
    return {"code": township.code, "name": township.short_name,
            "division_code": township.division_code,
            "lat": township.seat_latitude, "lon": township.seat_longitude}


def _incident(incident, townships):
    """`incident`: an Incident with `.response`, or a row of the command room's board."""
    township = _today(townships[incident.township_id], townships)
    response = getattr(incident, "response", None)
    running = response is not None and response.state in RUNNING_STATES
    return {
        "id": incident.pk,
        "township": township.code,
        "level": response.level if running else "",
        "label": _incident_label(incident, township, response if running else None),
        "url": reverse("incidents:detail", args=[incident.pk]),
        "drill": incident.is_drill,
    }


def _today(township, townships):
    """The township as the county is divided today: the one it was merged into, if any."""
    for _ in range(len(townships)):  # a chain of mergers, never a loop
        if township.merged_into_id not in townships:
            break
        township = townships[township.merged_into_id]
    return township


def _incident_label(incident, township, response):
    parts = [f"#{incident.pk}", township.short_name, Scenario(incident.scenario).label]
    if response is not None:
        parts.append(ResponseLevel(response.level).label)
    return " ".join(str(part) for part in parts)


def _warned_areas(warnings, townships):
    """Township code -> the highest level of the warnings in effect there."""
    areas = {}
    for warning in warnings:
        for township in warning.townships.all():
            township = _today(township, townships)
            current = areas.get(township.code)
            if current is None or WARNING_RANK[warning.level] > WARNING_RANK[current]:
                areas[township.code] = warning.level
    return areas
