"""An event as people read it, in the active language: what it concerns (`subject`), what
happened (`sentence`, from its kind's reading in timeline/kinds.py) and both as one feed line
(`line`). Everything is derived from the stored payload at read time, so an event written by
a Chinese-speaking duty officer reads in English for an English reader; the stored subject
label (in its writer's language) is the fallback where nothing better can be derived."""

from django.utils.translation import gettext as _

from timeline import readings
from timeline.kinds import KINDS
from timeline.models import Event
from zezhou_heat.figures import report_number


def sentence(event, *, short=False):
    """What happened, as a sentence; "" for a kind written before it was declared."""
    kind = KINDS.get(event.kind)
    if kind is None:
        return ""
    return kind.reads(event.new or {}, event.old or {}, short)


def _loaded_incident(event, incident):
    if incident is not None:
        return incident
    return event.incident if event.incident_id and Event.incident.is_cached(event) else None


def incident_name(incident):
    """"#3 高都镇": the incident's number and township (a proper name, the same in every
    language)."""
    return f"#{incident.pk} {incident.township}"


def _report(event):
    new = event.new or {}
    if event.kind == "report.continuation":
        return _("Continuation report %(number)s") % {"number": report_number(new["number"])}
    if event.kind in ("report.written", "report.written_draft"):
        return _("Written report")
    if event.kind == "report.final":
        return _("Final report")
    return None


def _deadline(event):
    new = event.new or {}
    clock = readings.choice("incidents.deadline.kind", new["kind"]) if "kind" in new else None
    return f"{clock} · {new['unit']}" if clock and new.get("unit") else clock


def _response(event):
    new = event.new or {}
    return readings.level(new["level"]) if "level" in new else _("Response")


def _warning(event):
    new = event.new or {}
    name = readings.warning_level(new["level"]) if new.get("level") else _("Warning")
    return f"{name} #{event.subject_id}"


# What an event concerns, by the type of its subject, from its payload; None: the stored label.
TAILS = {
    "incidents.report": _report,
    "incidents.deadline": _deadline,
    "incidents.inquiry": lambda event: (event.new or {}).get("asked_by"),
    "incidents.upwardreport": lambda event: readings.choice(
        "incidents.upwardreport.recipient", event.new["recipient"]) if event.new else None,
    "response.response": _response,
    "response.notice": lambda event: (event.new or {}).get("unit"),
    "early_warnings.earlywarning": _warning,
    "notify.delivery": lambda event: readings.choice(
        "notify.message.kind", event.new["kind"]) if event.new else None,
    "command_room.situationbrief": lambda event: _("Situation brief no. %(number)s") % {
        "number": event.new["number"]} if event.new else None,
}


def subject(event, incident=None):
    """"#3 高都镇 锅炉爆炸", "#3 高都镇 续报一", "一般风险预警 #5": what the event concerns, in the
    reader's language. `incident` is the event's, when the caller has it loaded."""
    incident = _loaded_incident(event, incident)
    if event.subject_type == "incidents.incident" and incident is not None:
        return f"{incident_name(incident)} {incident.get_scenario_display()}"
    tail = TAILS.get(event.subject_type, lambda event: None)(event)
    if incident is not None:
        return f"{incident_name(incident)} {tail or event.subject_label}"
    if tail is not None and not event.incident_id:
        return tail
    return event.subject_label


def line(event, incident=None):
    """One line for a live feed: "#3 高都镇：书面报告按时提交，内容完整"."""
    incident = _loaded_incident(event, incident)
    about = incident_name(incident) if incident is not None else subject(event)
    text = sentence(event, short=True)
    return readings.named(about, text) if text else about
