"""The command room's one write: a situation brief issued. A brief sent upward is an official
act, so it is numbered (第N期) and kept on the timeline with what it stated; the brief itself
is read from the state (command_room.brief) and never stored."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from timeline.models import Event
from timeline.services import append_event, hold_timeline_lock
from zezhou_heat.permissions import VIEW_INCIDENTS

BRIEF_TYPE = "command_room.situationbrief"


def situation_brief_issued(*, actor, brief):
    """Number the brief in its series and record it; returns the number. The county's briefs
    are one series; a reader who sees only some townships has a series of his own, by the
    units he sees (a township's brief never takes a number of the county's)."""
    if not actor.has_perm(VIEW_INCIDENTS):
        raise PermissionDenied(_("A situation brief states incidents; your positions do not "
                                 "show them."))
    scope = ",".join(brief.scope_codes)
    with transaction.atomic():
        hold_timeline_lock()  # two issuers at once get two numbers
        number = Event.objects.filter(kind="brief.issued", new__scope=scope).count() + 1
        append_event(
            actor=actor, kind="brief.issued",
            subject_ref=(BRIEF_TYPE, f"{scope or 'county'}:{number}", f"态势简报第{number}期"),
            new={"number": number, "scope": scope, "as_of": brief.as_of.isoformat(),
                 "seq": brief.seq, "incidents": [i.pk for i in brief.incidents],
                 "totals": _totals_payload(brief.totals)})
    return number


def _totals_payload(totals):
    return {"levels": {level or "none": count for level, _label, count in totals.level_rows()},
            "households": totals.households, "overdue_clocks": totals.overdue_clocks,
            "unacknowledged_units": totals.unacknowledged_units,
            "warnings": totals.warnings, "drills": totals.drills}
