from django.utils.translation import gettext_lazy as _

from early_warnings.choices import WarningState
from early_warnings.models import EarlyWarning
from zezhou_heat.permissions import VIEW_ALL_INCIDENTS

BOARD_SECTIONS = [
    ("in_effect", _("In effect"), [WarningState.ISSUED]),
    ("pending", _("Pending approval"), [WarningState.PENDING]),
    ("drafts", _("Drafts"), [WarningState.DRAFT, WarningState.REJECTED]),
    ("reported_up", _("Reported to the upper government"), [WarningState.REPORTED_UP]),
    ("lifted", _("Lifted"), [WarningState.LIFTED]),
]


# What a reader outside the county headquarters (a township officer, an enterprise reporter)
# sees of warnings: those the county issued to the public, in effect or lifted, as the public
# notice and the Atom feed show them, and on the timeline the events that happen to them.
# Drafts, warnings pending approval, rejected or reported up are the headquarters' own work:
# only county readers (VIEW_ALL_INCIDENTS, the timeline's "everything" audience) see them.
PUBLIC_STATES = [WarningState.ISSUED, WarningState.LIFTED]
PUBLIC_EVENT_KINDS = ("warning.issued", "warning.updated", "warning.channels", "warning.lifted")


def sees_unissued(user):
    return user.has_perm(VIEW_ALL_INCIDENTS)


def warnings():
    return EarlyWarning.objects.select_related("incident__township", "approved_by",
                                               "drafted_by").prefetch_related("townships")


def visible_to(user):
    """The warnings this user may read (pages and API alike): all for county readers, the
    issued and lifted ones for anyone else."""
    if sees_unissued(user):
        return warnings()
    return warnings().filter(state__in=PUBLIC_STATES)


def township_codes(warning_ids):
    """{warning id: its townships' codes, in the plan's order}: one query for a page."""
    codes = {pk: [] for pk in warning_ids}
    links = EarlyWarning.townships.through.objects.filter(earlywarning_id__in=warning_ids)
    for warning_id, code in links.order_by("unit__order", "unit__code").values_list(
            "earlywarning_id", "unit__code"):
        codes[warning_id].append(code)
    return codes


def in_effect():
    return warnings().filter(state=WarningState.ISSUED)


def board(filtered, user):
    """(key, title, warnings) for each section of the board this user sees, in the board's
    order: no drafts or pending section for those who see only issued warnings."""
    warnings_ = list(filtered)
    everything = sees_unissued(user)
    return [(key, title, [w for w in warnings_ if w.state in states])
            for key, title, states in BOARD_SECTIONS
            if everything or set(states) <= set(PUBLIC_STATES)]


def awaiting_decision_by(user):
    """Warnings submitted for approval that this user's authority decides: the highest level
    first, then the most casualties of the incident behind it, then the longest waiting."""
    from early_warnings.authority import may_decide

    pending = warnings().filter(state=WarningState.PENDING)
    return sorted((w for w in pending if may_decide(w, user)),
                  key=lambda w: (-severity(w), *_casualties(w.incident), w.submitted_at))


def severity(warning):
    """3 for 重大以上, 2 for 较大, 1 for 一般: what the inbox sorts by, beside response levels."""
    from early_warnings.authority import LEVELS

    return LEVELS.order.index(warning.level) + 1


def _casualties(incident):
    return (-incident.deaths, -incident.serious_injuries) if incident else (0, 0)
