"""How each kind of event reads: a sentence built from its payload when it is read, in the
reader's language ("死亡1人、重伤3人，直接经济损失280万元"). timeline/kinds.py gives every
declared kind one of these functions, `reads(new, old, short)`: `new` and `old` are the stored
payload, `short` asks for the form of a feed line (free text cut, lists counted).

Stored values are codes ("general", "I", "notice_ack"); their words come at read time from
the choices of the model field that holds them (looked up by name in Django's app registry,
as kinds.py does: this floor imports no app), or from a vocabulary an app registers in its
AppConfig.ready() for values that are no field's choices (the written-report items of §4.1,
the end conditions of §4.10, the basis of a grade, the warning channels).
"""

from datetime import datetime

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from zezhou_heat import figures
from zezhou_heat.authority import RANK_TITLES

SHORT_TEXT = 40  # characters of free text (a summary, a reason) in a feed line
FIGURE_FORMATS = {"deaths": figures.people, "serious_injuries": figures.people,
                  "direct_loss": figures.money, "households_affected": figures.households,
                  "area_affected": figures.area}

# --- words for stored values ---------------------------------------------------------------

_VOCABULARIES = {}


def register_vocabulary(name, labels):
    """Called by an app in its AppConfig.ready(): `labels` maps a stored value to its words (a
    dict of lazy translations, or a function of the value)."""
    _VOCABULARIES[name] = labels


def term(name, value):
    labels = _VOCABULARIES.get(name, {})
    label = labels(value) if callable(labels) else labels.get(value)
    return str(value if label is None else label)


def model_field(path):
    """"incidents.incident.grade" -> that model field."""
    model, _dot, field = path.rpartition(".")
    return apps.get_model(model)._meta.get_field(field)


def choice(path, value):
    """A stored choice in words: choice("response.response.level", "I") -> "Ⅰ级响应"."""
    return str(dict(model_field(path).flatchoices).get(value, value))


# --- putting words together ----------------------------------------------------------------


def listing(items):
    return pgettext("list separator", ", ").join(str(item) for item in items)


def clauses(items):
    return pgettext("clause separator", "; ").join(str(item) for item in items if item)


def named(name, value):
    return _("%(name)s: %(value)s") % {"name": name, "value": value}


def change(name, old, new):
    return _("%(name)s: %(old)s → %(new)s") % {"name": name, "old": old, "new": new}


def said(text, short):
    """Typed text as written, or its first SHORT_TEXT characters in a feed line."""
    text = " ".join(str(text or "").split())
    return text[:SHORT_TEXT - 1] + "…" if short and len(text) > SHORT_TEXT else text


def moment(value):
    """A stored time ("2026-01-05 21:30:00" county time, or ISO with its offset) as
    "01-05 21:30"."""
    when = parse_datetime(str(value)) if not isinstance(value, datetime) else value
    if when is None:
        return str(value)
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return when.strftime("%m-%d %H:%M")


def yes_no(value):
    return pgettext("boolean", "yes") if value else pgettext("boolean", "no")


def shown(value, field=None):
    """Any stored value in words, for the change kinds: a choice's label, 是/否, a list joined
    with 、, a time, a figure; "(none)" for nothing."""
    if field is not None and field.choices and isinstance(value, str):
        return str(dict(field.flatchoices).get(value, value))
    if value is None or value == "" or value == [] or value == {}:
        return _("(none)")
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return listing(shown(item) for item in value)
    if isinstance(value, dict):
        return listing(shown(item) for item in value.values())
    if isinstance(field, (models.DateTimeField, models.DateField)):
        return moment(value)
    if isinstance(field, models.DecimalField):
        return figures.amount(value)
    return str(value)


def figure(name, value):
    return FIGURE_FORMATS[name](value)


def figure_name(name):
    return {"deaths": _("Deaths"), "serious_injuries": _("Serious injuries"),
            "direct_loss": _("Direct loss"), "households_affected": _("Households without heat"),
            "area_affected": _("Heated area affected")}[name]


def scale(payload):
    """"死亡1人、重伤3人，直接经济损失280万元，停暖1.2万户": the figures that are not zero."""
    casualties = []
    for name, one, many in (("deaths", "%(count)s death", "%(count)s deaths"),
                            ("serious_injuries", "%(count)s serious injury",
                             "%(count)s serious injuries")):
        if figures.is_nonzero(payload.get(name)):
            count = int(payload[name])
            casualties.append(ngettext(one, many, count) % {"count": figures.amount(count)})
    parts = [listing(casualties) if casualties else _("no casualties")]
    for name, words in (("direct_loss", _("direct loss %(value)s")),
                        ("households_affected", _("%(value)s without heat")),
                        ("area_affected", _("%(value)s of heated area affected"))):
        if figures.is_nonzero(payload.get(name)):
            parts.append(words % {"value": figure(name, payload[name])})
    return pgettext("figures separator", ", ").join(parts)


# --- incidents and reports -----------------------------------------------------------------


def grade(value, criterion):
    return _("%(grade)s: %(basis)s") % {
        "grade": choice("incidents.incident.grade", value),
        "basis": term("grade_basis", (value, criterion))}


def incident_reported(new, old, short):
    grading = (choice("incidents.incident.grade", new["grade"]) if short
               else grade(new["grade"], new["criterion"]))
    return _("First report: %(scale)s; grade %(grade)s") % {"scale": scale(new),
                                                             "grade": grading}


def figures_changed(new, old, short):
    return clauses(change(figure_name(name), figure(name, old[name]) if name in old else "—",
                          figure(name, new[name]))
                   for name in FIGURE_FORMATS if name in new)


def grade_changed(new, old, short):
    return _("Grade changed from %(old)s to %(new)s") % {
        "old": choice("incidents.incident.grade", old["grade"]),
        "new": (choice("incidents.incident.grade", new["grade"]) if short
                else grade(new["grade"], new["criterion"]))}


def status_changed(new, old, short):
    return change(_("Status"), choice("incidents.incident.status", old["status"]),
                  choice("incidents.incident.status", new["status"]))


def written_report(new, old, short):
    if new["on_time"] is False:
        return _("Written report submitted late, complete")
    return _("Written report submitted on time, complete")


def written_draft(new, old, short):
    missing = new["missing"]
    if short or not missing:
        return ngettext("Written report saved as a draft: %(count)s item missing",
                        "Written report saved as a draft: %(count)s items missing",
                        len(missing)) % {"count": len(missing)}
    return _("Written report saved as a draft; missing: %(items)s") % {
        "items": listing(term("written_report_item", key) for key in missing)}


def continuation(new, old, short):
    return named(_("Continuation report %(number)s") % {
        "number": figures.report_number(new["number"])}, said(new["summary"], short))


def final_report(new, old, short):
    return named(_("Final report"), said(new["summary"], short))


def passed_up(new, old, short):
    text = _("Passed up to %(recipient)s by %(channel)s") % {
        "recipient": choice("incidents.upwardreport.recipient", new["recipient"]),
        "channel": choice("incidents.upwardreport.channel", new["channel"])}
    return text + (_(", skipping a level (越级上报)") if new["skipped_level"] else "")


def inquiry_recorded(new, old, short):
    return _("%(asked_by)s asked: %(question)s; reply due by %(due)s") % {
        "asked_by": new["asked_by"], "question": said(new["question"], short),
        "due": moment(new["due_at"])}


def inquiry_replied(new, old, short):
    words = _("Answered on time: %(reply)s") if new["on_time"] else _("Answered late: %(reply)s")
    return words % {"reply": said(new["reply"], short)}


def _clock(new, sentences):
    """A clock's sentence by its kind; a notice clock names its unit when the payload has it."""
    words = sentences.get(new["kind"]) or sentences["other"]
    if new["kind"] == "notice_ack" and new.get("unit"):
        words = sentences["notice_ack_unit"]
    if new["kind"] == "escalation" and not new.get("unit"):
        words = sentences["other"]
    return words % {"clock": choice("incidents.deadline.kind", new["kind"]),
                    "due": moment(new["due_at"]), "unit": new.get("unit", "")}


def deadline_reminder(new, old, short):
    return _clock(new, {
        "written_report": _("The written report is due by %(due)s"),
        "inquiry_reply": _("The reply to the upper-level inquiry is due by %(due)s"),
        "notice_ack": _("The activation notice is to be acknowledged by %(due)s"),
        "notice_ack_unit": _("%(unit)s is to acknowledge the activation notice by %(due)s"),
        "other": _("%(clock)s: due by %(due)s")})


def deadline_overdue(new, old, short):
    return _clock(new, {
        "written_report": _("Overdue: no written report by %(due)s"),
        "inquiry_reply": _("Overdue: the upper-level inquiry was not answered by %(due)s"),
        "notice_ack": _("Overdue: the activation notice was not acknowledged by %(due)s"),
        "notice_ack_unit": _("Overdue: %(unit)s did not acknowledge the activation notice by "
                             "%(due)s"),
        "escalation": _("Overdue: %(unit)s had still not acknowledged the activation notice "
                        "by %(due)s"),
        "other": _("Overdue: %(clock)s, due by %(due)s")})


# --- accounts and the directory ------------------------------------------------------------


def locked_out(new, old, short):
    return _("Sign-in of %(username)s locked after repeated failures (from %(address)s)") % {
        "username": new["username"], "address": new["ip_address"]}


def _leader(new):
    return _(" (a leader's account)") if new["leadership"] else ""


def password_reset(new, old, short):
    words = (_("Password of %(username)s reset") if new["usable"]
             else _("Password sign-in of %(username)s disabled"))
    return words % {"username": new["username"]} + _leader(new)


def two_factor_enrolled(new, old, short):
    return ngettext("%(username)s set up two-factor sign-in (%(count)s recovery code)",
                    "%(username)s set up two-factor sign-in (%(count)s recovery codes)",
                    new["recovery_codes"]) % {"username": new["username"],
                                              "count": new["recovery_codes"]}


def two_factor_reset(new, old, short):
    return ngettext("Two-factor sign-in of %(username)s reset (%(count)s device removed)",
                    "Two-factor sign-in of %(username)s reset (%(count)s devices removed)",
                    new["devices"]) % {"username": new["username"],
                                       "count": new["devices"]} + _leader(new)


def changes(model, action):
    """The reading of a change kind (`<prefix>.created|updated|deleted`): each field by its
    name in the reader's language, "职责：… → …". A feed line names the fields only, never
    their values (a person's mobile number stays off the screens)."""
    def reads(new, old, short):
        meta = apps.get_model(model)._meta
        fields = {name: meta.get_field(name) for name in {*new, *old}}

        def name_of(key):
            return str(fields[key].verbose_name)

        if short:
            words = {"created": _("Added: %(fields)s"), "updated": _("Changed: %(fields)s"),
                     "deleted": _("Removed: %(fields)s")}[action]
            return words % {"fields": listing(name_of(k) for k in (new or old))}
        if action == "updated":
            return clauses(change(name_of(k), shown(old.get(k), fields[k]),
                                  shown(new.get(k), fields[k])) for k in new)
        values = new if action == "created" else old
        words = _("Added: %(fields)s") if action == "created" else _("Removed: %(fields)s")
        return words % {"fields": clauses(named(name_of(k), shown(v, fields[k]))
                                          for k, v in values.items() if v not in (None, "", []))}
    return reads


def county_map_uploaded(new, old, short):
    return ngettext(
        "The county map now shows official boundaries (%(source)s, %(count)d township)",
        "The county map now shows official boundaries (%(source)s, %(count)d townships)",
        new["townships"]) % {"source": said(new["source"], short), "count": new["townships"]}


# --- response --------------------------------------------------------------------------------


def level(value):
    return choice("response.response.level", value)


def _reason(text, short):
    return _("; reason: %(reason)s") % {"reason": said(text, short)} if text else ""


def response_proposed(new, old, short):
    return _("%(level)s proposed (suggested: %(suggested)s)") % {
        "level": level(new["level"]), "suggested": level(new["suggested"])
    } + _reason(new["reason"], short)


def response_started(new, old, short):
    words = (_("%(level)s started, approved by %(rank)s") if new["mode"] == "approved"
             else _("%(level)s started directly by %(rank)s"))
    text = words % {"level": level(new["level"]), "rank": RANK_TITLES.get(new["rank"], "—")}
    units = new["units"]
    notified = ngettext("%(count)s unit notified", "%(count)s units notified", len(units)) % {
        "count": len(units)}
    if short:
        return clauses([text, notified])
    return clauses([text, named(_("Task groups"), listing(new["task_groups"]) or _("(none)")),
                    named(notified, listing(units)) if units else notified])


def response_rejected(new, old, short):
    return _("Proposal of %(level)s rejected") % {"level": level(new["level"])} + (
        _("; note: %(note)s") % {"note": said(new["note"], short)} if new["note"] else "")


def level_changed(new, old, short):
    return _("Response level changed from %(old)s to %(new)s") % {
        "old": level(old["level"]), "new": level(new["level"])} + _reason(new["reason"], short)


def site_headquarters(new, old, short):
    return _("On-site headquarters set up at %(place)s at %(time)s, led by %(leader)s") % {
        "place": new["place"], "time": moment(new["at"]), "leader": new["leader"]}


def condition_confirmed(new, old, short):
    return named(_("End condition confirmed"), term("end_condition", new["condition"]))


def handed_over(new, old, short):
    return _("Command handed over to %(to)s") % {"to": new["to"]}


def response_ended(new, old, short):
    return _("%(level)s ended") % {"level": level(new["level"])}


def notice_acknowledged(new, old, short):
    words = (_("%(unit)s acknowledged the activation notice on time") if new["on_time"]
             else _("%(unit)s acknowledged the activation notice late"))
    how = {"link": _("by the link in the message"), "reply": _("by SMS reply")}.get(
        new.get("via"))
    sentence = words % {"unit": new["unit"]}
    return _("%(sentence)s (%(how)s)") % {"sentence": sentence, "how": how} if how else sentence


def notice_escalated(new, old, short):
    values = {"unit": new["unit"], "minutes": new["minutes"],
              "names": listing(new["recipients"]) or _("nobody"),
              "previous": listing(new.get("previous", ()))}
    if new.get("skipped") == "no_leader_in_charge":
        return _("%(unit)s has no leader in charge: the escalation goes straight to the office "
                 "director") % values
    if new["step"] == 1:
        words = _("%(unit)s left the activation notice unacknowledged for %(minutes)s min: "
                  "escalated to its leader in charge (%(names)s)")
    else:
        words = _("%(unit)s left the activation notice unacknowledged for %(minutes)s min: "
                  "escalated to the office director (%(names)s)")
    sentence = words % values
    if values["previous"] and not short:
        sentence = clauses([sentence, _("after %(previous)s") % values])
    return sentence


def checklist_updated(new, old, short):
    status = change(_("Status"), choice("response.checklistitem.status", old["status"]),
                    choice("response.checklistitem.status", new["status"]))
    note = named(_("Note"), said(new["note"], short)) if new["note"] != old["note"] else ""
    return clauses([status, note])


# --- early warnings --------------------------------------------------------------------------


def warning_level(value):
    return choice("early_warnings.earlywarning.level", value)


def _channels(values):
    return listing(term("warning_channel", value) for value in values) or _("(none)")


def _draft(words):
    def reads(new, old, short):
        return words() % {"level": warning_level(new["level"]) if new["level"] else _("(none)"),
                          "category": choice("early_warnings.earlywarning.category",
                                             new["category"]) if new["category"] else _("(none)")}
    return reads


warning_drafted = _draft(lambda: _("Draft: %(level)s, %(category)s"))
warning_draft_edited = _draft(lambda: _("Draft edited: %(level)s, %(category)s"))


def warning_submitted(new, old, short):
    return _("%(level)s submitted for approval") % {"level": warning_level(new["level"])}


def _version(new):
    return _("version %(version)s") % {"version": new["version"]}


def warning_issued(new, old, short):
    text = _("%(level)s issued (%(version)s)") % {"level": warning_level(new["level"]),
                                                  "version": _version(new)}
    return text if short else clauses([text, named(_("Channels"), _channels(new["channels"]))])


def warning_rejected(new, old, short):
    return _("Warning rejected") + (
        _("; note: %(note)s") % {"note": said(new["note"], short)} if new["note"] else "")


def warning_reported_up(new, old, short):
    return _("Reported to %(to)s, which issues it") % {"to": new["to"]}


def warning_updated(new, old, short):
    parts = [_("Warning updated (%(version)s)") % {"version": _version(new)}]
    if new["level"] != old["level"]:
        parts.append(change(pgettext("warning", "Level"), warning_level(old["level"]),
                            warning_level(new["level"])))
    if new["area"] != old["area"]:
        parts.append(change(_("Area"), listing(old["area"]) or _("(none)"),
                            listing(new["area"]) or _("(none)")))
    if new["places"] != old["places"] and not short:
        parts.append(change(_("Places"), old["places"] or _("(none)"),
                            new["places"] or _("(none)")))
    return clauses(parts)


def warning_channels(new, old, short):
    return change(_("Channels"), _channels(old["channels"]), _channels(new["channels"]))


def warning_lifted(new, old, short):
    return _("Warning lifted (%(version)s)") % {"version": _version(new)} + _reason(
        new["reason"], short)


# --- messages to people (notify) --------------------------------------------------------------


def _delivery(new):
    return {"kind": choice("notify.message.kind", new["kind"]), "recipient": new["recipient"],
            "channel": choice("notify.delivery.channel", new["channel"]),
            "address": new["address"]}


def delivery_sent(new, old, short):
    return _("%(kind)s to %(recipient)s by %(channel)s (%(address)s): sent") % _delivery(new)


def delivery_retrying(new, old, short):
    """The provider's code stays in the payload (and on the delivery board), not the sentence."""
    return _("%(kind)s to %(recipient)s by %(channel)s (%(address)s): not taken at attempt "
             "%(attempts)s, tried again at %(time)s") % {
        **_delivery(new), "attempts": new["attempts"], "time": moment(new["next_attempt_at"])}


def delivery_delivered(new, old, short):
    return _("%(kind)s to %(recipient)s by %(channel)s (%(address)s): delivered") % _delivery(new)


def delivery_failed(new, old, short):
    return _("%(kind)s to %(recipient)s by %(channel)s (%(address)s): failed") % _delivery(new)


def delivery_fallback(new, old, short):
    return _("%(kind)s to %(recipient)s: %(from)s failed, now by %(channel)s (%(address)s)") % {
        **_delivery(new), "from": choice("notify.delivery.channel", new["from_channel"])}


def reply_received(new, old, short):
    return _("Reply by %(channel)s from %(address)s: %(text)s") % {
        "channel": choice("notify.delivery.channel", new["channel"]),
        "address": new["address"], "text": said(new["text"], short)}


# --- command room --------------------------------------------------------------------------


def brief_issued(new, old, short):
    return ngettext(
        "Situation brief no. %(number)s issued, as of %(as_of)s, covering %(count)d incident",
        "Situation brief no. %(number)s issued, as of %(as_of)s, covering %(count)d incidents",
        len(new["incidents"])) % {"number": new["number"], "as_of": moment(new["as_of"]),
                                  "count": len(new["incidents"])}
