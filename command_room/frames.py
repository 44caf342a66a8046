"""What a live view receives for one timeline event: the same dict on the WebSocket and from
the catch-up API, so a browser applies both the same way."""

from collections import defaultdict

from django.conf import settings
from django.utils import translation

from early_warnings.models import EarlyWarning
from incidents.models import Incident
from response.models import Notice
from timeline.groups import group_key, incident_line, line_template, units_line
from timeline.models import Event
from timeline.sentences import line

WARNING_TYPE = "early_warnings.earlywarning"
FRAME_TEXT_MAX = 200  # characters of one text value in a frame: a summary, not the text


def summarised(value):
    """An event's old/new values as a frame carries them: each text cut to FRAME_TEXT_MAX
    characters (with "…"), so a long report goes to every screen as a line, not whole (the
    full text is on the incident page and in the database)."""
    if isinstance(value, str):
        return value if len(value) <= FRAME_TEXT_MAX else value[:FRAME_TEXT_MAX - 1] + "…"
    if isinstance(value, dict):
        return {key: summarised(item) for key, item in value.items()}
    if isinstance(value, list):
        return [summarised(item) for item in value]
    return value


def alert_of(event):
    """Why this event should draw the command room's attention at once, if it should."""
    level = (event.new or {}).get("level")
    if event.kind == "deadline.overdue":
        return "overdue"
    if event.kind in ("response.started", "response.level_changed") and level == "I":
        return "level_i"
    if event.kind in ("warning.issued", "warning.updated") and level == "major":
        return "major_warning"
    return None


# Routine administration stays off the command room's feed (the wall, the unit dashboards, a
# leader's phone); it stays on the timeline and the audit pages. Kinds by name, and prefixes
# (ending in ".") that also cover events written before every kind was declared.
ROUTINE = (
    "directory.",                # units, people, positions, holdings, duty shifts, task groups
    "auth.",                     # accounts, passwords, two-factor, login lockouts
    "response.playbookitem.",    # the §4.5 playbooks, edited by administrators
    "warning.drafted", "warning.draft_edited",   # a warning only matters once submitted
    "report.written_draft",      # a written report only matters once submitted
    "notify.",                   # each message's deliveries: on the delivery board, not the wall
)


def routine(kind):
    return any(kind.startswith(name) if name.endswith(".") else kind == name
               for name in ROUTINE)


def group_of(event, incident):
    """For an event that shares one feed line with others (timeline.groups): the line's key,
    the unit this event names, and the line in every language, with `%(count)s` and
    `%(units)s` for the browser to fill as the group grows. None for an event shown alone."""
    key = group_key(event.kind, event.new, event.incident_id)
    if key is None:
        return None
    label = f"#{incident.pk} {incident.township}"
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = {form: units_line(incident_line(label, line_template(event.kind, count)
                                                          % {"count": "%(count)s"}),
                                            ["%(units)s"])
                           for form, count in (("one", 1), ("other", 2))}
    return {"key": key, "unit": event.new["unit"], "text": texts}


def texts_of(event, incident=None):
    """The event as a feed line in every language the interface offers (timeline.sentences):
    "#3 高都镇：首报：死亡1人…" / "#3 高都镇: First report: 1 death…"."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = line(event, incident)
    return texts


# A frame goes to every screen that shows its kind (the wall, member units, phones): it never
# carries a mobile number, whoever watches. The number itself stays in the timeline (audit) and
# the directory shows it to those who may see it (directory.selectors.PhoneBook).
MOBILE_FIELDS = {"directory.person.": ("mobile",)}
HIDDEN = "***"


def _without_mobiles(event, payload):
    if not payload:
        return payload
    for prefix, fields in MOBILE_FIELDS.items():
        if event.kind.startswith(prefix):
            return {key: (HIDDEN if key in fields and value else value)
                    for key, value in payload.items()}
    return payload


def frames_of(events):
    """Frames for events, in their order, with three queries whatever their number."""
    events = list(events)
    incident_ids = {e.incident_id for e in events if e.incident_id}
    incidents = {e.incident_id: e.incident for e in events
                 if e.incident_id and Event.incident.is_cached(e)}  # the writer's, at push
    if missing := incident_ids - incidents.keys():
        incidents.update(Incident.objects.select_related("township").in_bulk(missing))
    noticed = defaultdict(set)
    for incident_id, unit_id in Notice.objects.filter(
            response__incident__in=incident_ids).values_list("response__incident", "unit"):
        noticed[incident_id].add(unit_id)
    warning_ids = {int(e.subject_id) for e in events if e.subject_type == WARNING_TYPE}
    drill_warnings = set(EarlyWarning.objects.filter(pk__in=warning_ids, is_drill=True)
                         .values_list("pk", flat=True)) if warning_ids else set()
    return [_frame(e, incidents.get(e.incident_id), noticed[e.incident_id], drill_warnings)
            for e in events]


def _frame(event, incident, noticed_units, drill_warnings):
    units = set(noticed_units)
    if incident:
        units |= {incident.township_id, incident.reporter_unit_id} - {None}
    drill = bool(incident and incident.is_drill) or (
        event.subject_type == WARNING_TYPE and int(event.subject_id) in drill_warnings)
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor_id,
        "actor_name": event.actor_name,
        "kind": event.kind,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "subject_label": event.subject_label,
        "old": summarised(_without_mobiles(event, event.old)),
        "new": summarised(_without_mobiles(event, event.new)),
        "incident": event.incident_id,
        "township": incident.township_id if incident else None,
        "reporter_unit": incident.reporter_unit_id if incident else None,
        "units": sorted(units),
        "drill": drill,
        "alert": alert_of(event),
        "text": texts_of(event, incident),
        "group": group_of(event, incident),
        "routine": routine(event.kind),
    }
