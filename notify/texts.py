"""The texts of messages, in the county's language (settings.LANGUAGE_CODE), short enough for
one SMS segment (70 characters in Chinese, notify.sms_text) where the names allow it. The
gateway adds the signature (【泽州供热应急】); the texts leave it out."""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notify.choices import MessageKind
from notify.sms_text import segments
from timeline.groups import list_separator


def incident_name(incident):
    return f"#{incident.pk}{incident.township.short_name or incident.township.name}"


def in_county_language(build):
    """`build()` evaluated in the county's language, whoever's request caused the message."""
    with translation.override(settings.LANGUAGE_CODE):
        return build()


def _hhmm(moment):
    return timezone.localtime(moment).strftime("%H:%M")


def _drill(text, is_drill):
    return _("[Drill] %(text)s") % {"text": text} if is_drill else text


def activation(notice, minutes):
    response = notice.response
    incident = response.incident
    return _drill(_("%(incident)s: %(level)s started. %(unit)s, please acknowledge within "
                    "%(minutes)s minutes.") % {
        "incident": incident_name(incident), "level": response.get_level_display(),
        "unit": notice.unit.short_name, "minutes": minutes}, incident.is_drill)


def response_approval(response, link):
    incident = response.incident
    return _drill(_("%(incident)s: %(level)s proposed, awaiting your decision: %(link)s") % {
        "incident": incident_name(incident), "level": response.get_level_display(),
        "link": link}, incident.is_drill)


def warning_approval(warning, link):
    return _drill(_("%(level)s #%(number)s submitted, awaiting your approval: %(link)s") % {
        "level": warning.get_level_display(), "number": warning.pk, "link": link},
        warning.is_drill)


def clock(deadline, overdue):
    incident = deadline.incident
    due = _hhmm(deadline.due_at)
    if overdue:
        words = {"written_report": _("%(incident)s: the written report is overdue (due %(due)s)."),
                 "inquiry_reply": _("%(incident)s: the reply to the upper-level inquiry is "
                                    "overdue (due %(due)s).")}
        other = _("%(incident)s: %(clock)s overdue (due %(due)s).")
    else:
        words = {"written_report": _("%(incident)s: the written report is due by %(due)s."),
                 "inquiry_reply": _("%(incident)s: the reply to the upper-level inquiry is due "
                                    "by %(due)s.")}
        other = _("%(incident)s: %(clock)s, due by %(due)s.")
    return _drill(words.get(deadline.kind, other) % {
        "incident": incident_name(incident), "due": due, "clock": deadline.get_kind_display()},
        incident.is_drill)


def _area(warning):
    names = [t.short_name or t.name for t in warning.townships.all()]
    area = list_separator().join(names) if names else _("the whole county")
    return f"{area} {warning.places}".strip() if warning.places else area


def warning(warning, event_kind):
    values = {"level": warning.get_level_display(), "area": _area(warning),
              "category": warning.get_category_display(), "version": warning.version,
              "body": warning.issuing_body or _("The county headquarters")}
    if event_kind == "warning.lifted":
        text = _("%(level)s lifted: %(area)s.") % values
    elif event_kind == "warning.updated":
        text = _("%(level)s updated (version %(version)s): %(area)s, %(category)s.") % values
    else:
        text = _("%(body)s issued a %(level)s (%(category)s): %(area)s.") % values
    return _drill(text, warning.is_drill)


def level_changed(response, old_level, new_level_label):
    incident = response.incident
    return _drill(_("%(incident)s: the response changed from %(old)s to %(new)s.") % {
        "incident": incident_name(incident), "old": old_level, "new": new_level_label},
        incident.is_drill)


def response_ended(response):
    incident = response.incident
    return _drill(_("%(incident)s: %(level)s ended.") % {
        "incident": incident_name(incident), "level": response.get_level_display()},
        incident.is_drill)


def ack_invitation(link, code=""):
    """What follows an activation notice for its person: the one-tap link, and the code to
    reply with where replies reach the dashboard."""
    if code:
        return _("Acknowledge: %(link)s or reply %(code)s") % {"link": link, "code": code}
    return _("Acknowledge: %(link)s") % {"link": link}


def escalation(notice, minutes, previous=None, contacts_told=True):
    """A notice unacknowledged for `minutes`, to the next person up. `previous`: the names
    the step before went to; None for the first step (the step before is the notice to the
    unit's contacts, `contacts_told` False when it had nobody to go to), [] when the unit has
    no leader in charge."""
    response = notice.response
    incident = response.incident
    values = {"incident": incident_name(incident), "unit": notice.unit.short_name,
              "level": response.get_level_display(), "minutes": minutes,
              "previous": list_separator().join(previous or ())}
    if previous is None and not contacts_told:
        text = _("%(incident)s: %(unit)s has not acknowledged the %(level)s notice for "
                 "%(minutes)s min; the directory has no contact of it to tell. Please call it.")
    elif previous is None:
        text = _("%(incident)s: %(unit)s has not acknowledged the %(level)s notice for "
                 "%(minutes)s min; its contacts were told. Please follow up.")
    elif not previous:
        text = _("%(incident)s: %(unit)s has not acknowledged the %(level)s notice for "
                 "%(minutes)s min; it has no leader in charge. Please follow up.")
    else:
        text = _("%(incident)s: %(unit)s has not acknowledged the %(level)s notice for "
                 "%(minutes)s min; already sent to %(previous)s. Please follow up.")
    return _drill(text % values, incident.is_drill)


def escalation_digest(response, units, minutes, with_leader):
    """Several units of one response silent on their notice for over `minutes`, to the office
    director in one message. `units`: their short names in the county's order, as many named
    as one SMS segment holds (at least one), the rest counted; `with_leader`: how many of them
    have a leader in charge (told at the step before)."""
    if with_leader == len(units):
        note = _("leaders in charge told")
    elif not with_leader:
        note = _("no leader in charge")
    else:
        note = _("leaders in charge told, some units have none")
    for shown in range(len(units), 0, -1):
        text = _digest_text(response, units, shown, minutes, note)
        if segments(text) == 1:
            break
    return text


def _digest_text(response, units, shown, minutes, note):
    names = list_separator().join(units[:shown])
    if shown < len(units):
        names = _("%(units)s and others") % {"units": names}
    incident = response.incident
    text = ngettext(
        "%(incident)s %(level)s: %(units)s (%(count)s unit) has not acknowledged the activation "
        "notice for over %(minutes)s min (%(note)s).",
        "%(incident)s %(level)s: %(units)s (%(count)s units) have not acknowledged the activation "
        "notice for over %(minutes)s min (%(note)s).", len(units)) % {
        "incident": incident_name(incident), "level": response.get_level_display(),
        "units": names, "count": len(units), "minutes": minutes, "note": note}
    return _drill(text, incident.is_drill)


def subject(kind, incident=None):
    """An e-mail subject: the kind of message, and the incident if there is one."""
    label = str(MessageKind(kind).label)
    return f"{label} {incident_name(incident)}" if incident is not None else label
