"""Every kind of timeline event, declared once: its name, what it is called on screen and the
fields of its payload. A live screen, a sentence on the timeline and a statistic read the same
declaration, and `timeline.services.append_event` refuses an event that does not match it.

The payload is the keys of the event's `new` dict and, where the writer passes `old`, of `old`:

- `fields` / `old_fields`: keys always written; a payload without one is refused.
- `optional` / `old_optional`: keys written only sometimes (say, only the figures that changed).
- Any other key is refused, except for the directory change kinds (`changes_of`): their old and
  new values are the changed fields of a model (all of them when created or deleted), so any
  field of that model is allowed and none is required; a key that is not a field is refused.

Each kind also says how it reads (`reads`, a function of timeline.readings): the sentence a
screen shows, built from the payload at read time in the reader's language; a kind cannot be
declared without one.

This module is the floor: it imports no app of the project. A model named by `changes_of` is
looked up in Django's app registry when an event is checked, not imported.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from timeline import readings as read


class UndeclaredEvent(ValueError):
    """Code appended an event whose kind or payload is not declared here: a programming error,
    refused in every environment."""


@dataclass(frozen=True)
class EventKind:
    name: str
    label: str  # a lazy translation
    reads: Callable  # (new, old, short) -> the event as a sentence (timeline.readings)
    fields: tuple = ()
    optional: tuple = ()
    old_fields: tuple = ()
    old_optional: tuple = ()
    changes_of: str = ""  # "app_label.modelname": old/new are that model's changed fields

    def model_fields(self):
        """For a change kind, the field names its payload may carry."""
        meta = apps.get_model(self.changes_of)._meta
        return {f.name for f in meta.concrete_fields if not f.primary_key} | {
            f.name for f in meta.many_to_many}

    def check(self, *, old=None, new=None):
        problems = []
        for side, payload, required, optional in (
                ("new", new, self.fields, self.optional),
                ("old", old, self.old_fields, self.old_optional)):
            if payload is not None and not isinstance(payload, dict):
                problems.append(f"{side} must be a dict or None, not {type(payload).__name__}")
                continue
            keys = set(payload or {})
            if self.changes_of:
                missing, extra = [], sorted(keys - self.model_fields())
            else:
                missing = [f for f in required if f not in keys]
                extra = sorted(keys - set(required) - set(optional))
            if missing:
                problems.append(f"{side} lacks the declared field(s) {', '.join(missing)}")
            if extra:
                problems.append(f"{side} carries undeclared field(s) {', '.join(extra)}")
        if problems:
            raise UndeclaredEvent(f"event kind {self.name!r}: {'; '.join(problems)} "
                                  f"(declared in timeline/kinds.py)")


FIGURES = ("deaths", "serious_injuries", "direct_loss", "households_affected", "area_affected")
GRADE = ("grade", "criterion")
WRITTEN = ("complete", "on_time", "missing")
CLOCK = ("kind", "due_at")
CLOCK_OWED_BY = ("unit",)  # the name of the member unit that owes the clock, if one does
DRAFT = ("level", "category")
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "is_active", "is_staff",
                  "is_superuser")

# A delivery of a message (notify): what was sent, to whom, how; the address masked
# (notify.sms_text.masked), never a whole phone number.
DELIVERY = ("message", "kind", "channel", "recipient", "address")
DELIVERY_OPTIONAL = ("unit",)

DIRECTORY_CHANGED = _("Directory changed")
RECIPIENTS_CHANGED = _("Message recipients changed")
PLAYBOOK_CHANGED = _("Playbook changed")


def _changes(prefix, model, label, actions=("created", "updated", "deleted")):
    """The change kinds of a model written through directory.services: `<prefix>.created`
    (new: the fields set), `.updated` (old and new: the fields changed, or a many-to-many
    set before and after) and `.deleted` (old: every field)."""
    return [EventKind(f"{prefix}.{action}", label, read.changes(model, action), changes_of=model)
            for action in actions]


DECLARED = [
    # incidents
    EventKind("incident.reported", _("First report logged"), read.incident_reported,
              fields=(*GRADE, "report", *FIGURES)),
    EventKind("incident.figures_changed", _("Figures changed"), read.figures_changed,
              optional=FIGURES, old_optional=FIGURES),  # only the figures that changed
    EventKind("incident.grade_changed", _("Grade changed"), read.grade_changed,
              fields=GRADE, old_fields=GRADE),
    EventKind("incident.status_changed", _("Status changed"), read.status_changed,
              fields=("status",), old_fields=("status",)),
    EventKind("report.written", _("Written report submitted"), read.written_report, fields=WRITTEN),
    EventKind("report.written_draft", _("Written report saved as a draft"), read.written_draft,
              fields=WRITTEN),
    EventKind("report.continuation", _("Continuation report"), read.continuation,
              fields=("number", "summary")),
    EventKind("report.final", _("Final report"), read.final_report, fields=("summary",)),
    EventKind("report.passed_up", _("Report passed up"), read.passed_up,
              fields=("recipient", "channel", "skipped_level")),
    EventKind("inquiry.recorded", _("Upper-level inquiry"), read.inquiry_recorded,
              fields=("asked_by", "question", "due_at")),
    EventKind("inquiry.replied", _("Inquiry answered"), read.inquiry_replied,
              fields=("reply", "on_time")),
    EventKind("deadline.reminder", _("Clock: 10 minutes left"), read.deadline_reminder,
              fields=CLOCK, optional=CLOCK_OWED_BY),
    EventKind("deadline.overdue", _("Clock overdue"), read.deadline_overdue, fields=CLOCK,
              optional=CLOCK_OWED_BY),
    # directory
    EventKind("auth.locked_out", _("Login locked after failed attempts"), read.locked_out,
              fields=("username", "ip_address")),
    # accounts (directory.services: account_saved, password_reset); never a password or hash
    EventKind("auth.account.created", _("Account created"), read.changes("auth.user", "created"),
              fields=("username",),
              optional=ACCOUNT_FIELDS[1:]),
    EventKind("auth.account.updated", _("Account changed"), read.changes("auth.user", "updated"),
              optional=ACCOUNT_FIELDS, old_optional=ACCOUNT_FIELDS),
    EventKind("auth.password_reset", _("Password reset"), read.password_reset,
              fields=("username", "usable", "leadership")),
    # two-factor sign-in (directory.services: two_factor_enrolled, two_factor_reset); never a
    # secret or a code
    EventKind("auth.two_factor_enrolled", _("Two-factor sign-in set up"), read.two_factor_enrolled,
              fields=("username", "recovery_codes")),
    EventKind("auth.two_factor_reset", _("Two-factor sign-in reset"), read.two_factor_reset,
              fields=("username", "devices", "leadership")),
    *_changes("directory.unit", "directory.unit", DIRECTORY_CHANGED),
    *_changes("directory.person", "directory.person", DIRECTORY_CHANGED),
    *_changes("directory.holding", "directory.positionholding", DIRECTORY_CHANGED),
    *_changes("directory.shift", "directory.dutyshift", DIRECTORY_CHANGED),
    # Positions come from the plan only (read-only in the admin): never deleted.
    *_changes("directory.position", "directory.position", DIRECTORY_CHANGED,
              actions=("created", "updated")),
    *_changes("directory.taskgroup", "directory.taskgroup", DIRECTORY_CHANGED),
    # township boundaries uploaded in place of the schematic map (directory.services)
    EventKind("directory.county_map.uploaded", _("County map replaced"),
              read.county_map_uploaded, fields=("source", "townships")),
    # response
    EventKind("response.proposed", _("Response level proposed"), read.response_proposed,
              fields=("level", "suggested", "reason")),
    EventKind("response.started", _("Response started"), read.response_started,
              fields=("level", "mode", "rank", "task_groups", "units")),
    EventKind("response.rejected", _("Response proposal rejected"), read.response_rejected,
              fields=("level", "note")),
    EventKind("response.level_changed", _("Response level changed"), read.level_changed,
              fields=("level", "reason"), old_fields=("level",)),
    EventKind("response.site_headquarters", _("On-site headquarters set up"), read.site_headquarters,
              fields=("leader", "place", "at")),
    EventKind("response.condition_confirmed", _("End condition confirmed"), read.condition_confirmed,
              fields=("condition",)),
    EventKind("response.handed_over", _("Command handed over"), read.handed_over, fields=("to",)),
    EventKind("response.ended", _("Response ended"), read.response_ended, fields=("level",)),
    EventKind("notice.acknowledged", _("Notice acknowledged"), read.notice_acknowledged,
              fields=("unit", "on_time"), optional=("via",)),
    # notify.escalation: a step of the ladder of an unacknowledged notice (1 the unit's
    # leader in charge, 2 the office director), to whom, or why to nobody
    EventKind("notice.escalated", _("Notice escalated"), read.notice_escalated,
              fields=("unit", "step", "minutes", "recipients"),
              optional=("previous", "skipped")),
    EventKind("checklist.updated", _("Checklist item updated"), read.checklist_updated,
              fields=("status", "note"), old_fields=("status", "note")),
    *_changes("response.playbookitem", "response.playbookitem", PLAYBOOK_CHANGED),
    # early warnings
    EventKind("warning.drafted", _("Warning drafted"), read.warning_drafted, fields=DRAFT),
    EventKind("warning.draft_edited", _("Warning draft edited"), read.warning_draft_edited,
              fields=DRAFT),
    EventKind("warning.submitted", _("Warning submitted for approval"), read.warning_submitted,
              fields=("level",)),
    EventKind("warning.issued", _("Warning issued"), read.warning_issued,
              fields=("level", "channels", "version")),
    EventKind("warning.rejected", _("Warning rejected"), read.warning_rejected, fields=("note",)),
    EventKind("warning.reported_up", _("Warning reported to the upper government"), read.warning_reported_up,
              fields=("to",)),
    EventKind("warning.updated", _("Warning updated"), read.warning_updated,
              fields=("level", "area", "places", "version"),
              old_fields=("level", "area", "places")),
    EventKind("warning.channels", _("Warning channels changed"), read.warning_channels,
              fields=("channels",), old_fields=("channels",)),
    EventKind("warning.lifted", _("Warning lifted"), read.warning_lifted,
              fields=("reason", "version")),
    # messages to people (notify): every change of a delivery's status
    EventKind("notify.delivery.sent", _("Message sent"), read.delivery_sent,
              fields=DELIVERY, optional=(*DELIVERY_OPTIONAL, "segments")),
    EventKind("notify.delivery.retrying", _("Message to be retried"), read.delivery_retrying,
              fields=(*DELIVERY, "code", "attempts", "next_attempt_at"),
              optional=DELIVERY_OPTIONAL),
    EventKind("notify.delivery.delivered", _("Message delivered"), read.delivery_delivered,
              fields=DELIVERY, optional=DELIVERY_OPTIONAL),
    EventKind("notify.delivery.failed", _("Message failed"), read.delivery_failed,
              fields=(*DELIVERY, "code"), optional=(*DELIVERY_OPTIONAL, "attempts")),
    EventKind("notify.delivery.fallback", _("Message sent on another channel"),
              read.delivery_fallback, fields=(*DELIVERY, "from_channel"),
              optional=DELIVERY_OPTIONAL),
    *_changes("notify.rule", "notify.recipientrule", RECIPIENTS_CHANGED),
    *_changes("notify.address", "notify.channeladdress", RECIPIENTS_CHANGED),
    EventKind("notify.reply.received", _("Reply received"), read.reply_received,
              fields=("channel", "address", "text")),
    # command room
    EventKind("brief.issued", _("Situation brief issued"), read.brief_issued,
              fields=("number", "scope", "as_of", "seq", "incidents", "totals")),
]


def _registry(kinds):
    registry = {}
    for kind in kinds:
        if kind.name in registry:
            raise ValueError(f"event kind {kind.name!r} is declared twice")
        registry[kind.name] = kind
    return registry


KINDS = _registry(DECLARED)
CHANGE_PREFIXES = {kind.changes_of: kind.name.rpartition(".")[0]
                   for kind in DECLARED if kind.changes_of}

# Events written before every kind was declared (the admin once named holdings and shifts
# after their models) still get a label on the timeline.
PREFIX_LABELS = {
    "directory.": DIRECTORY_CHANGED,
    "response.playbookitem.": PLAYBOOK_CHANGED,
    "notify.rule.": RECIPIENTS_CHANGED,
}


def declared(kind):
    """The declaration of `kind`; UndeclaredEvent if there is none."""
    try:
        return KINDS[kind]
    except (KeyError, TypeError):
        raise UndeclaredEvent(f"event kind {kind!r} is not declared in timeline/kinds.py") from None


def check_event(kind, *, old=None, new=None):
    """Refuse (UndeclaredEvent) an undeclared kind or a payload that does not match its
    declaration."""
    declared(kind).check(old=old, new=new)


def change_prefix(model_label):
    """`directory.dutyshift` -> `directory.shift`: the prefix of a model's change kinds."""
    try:
        return CHANGE_PREFIXES[model_label]
    except KeyError:
        raise UndeclaredEvent(f"no change kinds are declared for model {model_label!r} in "
                              f"timeline/kinds.py") from None


def event_label(kind):
    if kind in KINDS:
        return KINDS[kind].label
    for prefix, label in PREFIX_LABELS.items():
        if kind.startswith(prefix):
            return label
    return kind
