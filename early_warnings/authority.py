"""Who approves, changes and lifts which warning (plan §3.3, §3.4; DOMAIN.md).

一般: the office (office director); 较大: the commander or a deputy; 重大以上: the commander.
Higher authority covers the lower levels. A change of level needs the authority of the
higher of the two. Lifting: "谁发布、谁解除" — the level's authority, at least as high as
whoever approved the issue. These are the transitions' permission callables."""

from django.utils.translation import gettext as _

from directory.authority import at_time, decided_by, positions_where, positions_with, who
from early_warnings.choices import EDITABLE_STATES, WarningLevel, WarningState
from timeline.models import Event
from zezhou_heat.authority import LevelAuthority
from zezhou_heat.fsm import allowed_transitions
from zezhou_heat.permissions import DRAFT_WARNING, WARN_GENERAL, WARN_LARGER, WARN_MAJOR

LEVEL_PERMISSION = {
    WarningLevel.GENERAL: WARN_GENERAL,
    WarningLevel.LARGER: WARN_LARGER,
    WarningLevel.MAJOR: WARN_MAJOR,
}
LEVELS = LevelAuthority(LEVEL_PERMISSION, [WarningLevel.GENERAL, WarningLevel.LARGER,
                                          WarningLevel.MAJOR])
DRAFT = DRAFT_WARNING
rank = LEVELS.rank  # 3 commander, 2 deputy commander, 1 office director, 0 anyone else
may_approve = LEVELS.may


def may_decide(warning, user):
    return may_approve(user, warning.level)


def may_update(warning, user):
    target = getattr(warning, "target_level", None) or warning.level
    return may_approve(user, LEVELS.higher(warning.level, target))


def may_lift(warning, user):
    return may_approve(user, warning.level) and rank(user) >= warning.issued_rank


def draft_complete(warning):
    return not warning.missing_elements()


def actions(warning, user):
    """What `user` may do to `warning` now, hence which buttons its pages show: the
    transitions django-fsm allows them, plus "edit" (a draft or a rejected warning) and
    "channels" (a warning in effect), plain writes with the same checks as their services."""
    names = set(allowed_transitions(warning, user))
    if user.has_perm(DRAFT):
        if warning.state in EDITABLE_STATES:
            names.add("edit")
        if warning.state == WarningState.ISSUED:
            names.add("channels")
    return names


# --- who may act, in words: from the same rules, for refusals and hidden buttons -------------


def approvers(level, at_least_rank=0):
    """The positions that may approve (change to, lift) `level`, with at least that rank."""
    permission = LEVEL_PERMISSION[level]
    return positions_where(lambda held: permission in held
                           and LEVELS.rank_of(held) >= at_least_rank)


def who_may_draft():
    return _("Warnings are drafted and sent out by %(who)s.") % {"who": who(positions_with(DRAFT))}


def who_may(warning, action):
    """Who may take `action` (a transition's name) on `warning`, as a sentence."""
    level = warning.level
    target = getattr(warning, "target_level", None)
    if action == "update" and target and target != level:
        return _("A change to %(level)s needs %(who)s.") % {
            "level": WarningLevel(target).label,
            "who": who(approvers(LEVELS.higher(level, target)))}
    if action == "submit":
        return _("Needs %(who)s to submit it.") % {"who": who(positions_with(DRAFT))}
    texts = {
        "approve": _("Needs approval by %(who)s."),
        "reject": _("Needs a decision by %(who)s."),
        "report_up": _("Reporting up needs %(who)s."),
        "update": _("Changing the warning needs %(who)s."),
        "lift": _("Lifting needs %(who)s (who issues it, lifts it)."),
    }
    if action == "report_up":
        level = WarningLevel.MAJOR
    rank_needed = warning.issued_rank if action == "lift" else 0
    return texts[action] % {"who": who(approvers(level, rank_needed))}


def decision(warning):
    """How a submitted warning was decided, for whoever tries to decide it too (the warning
    keeps its approver; a rejection, its timeline event); None while it waits."""
    if warning.state != WarningState.PENDING and warning.approved_by:
        return _("Approved by %(who)s at %(time)s.") % {
            "who": decided_by(warning.approved_by, LEVELS, warning.issued_rank),
            "time": at_time(warning.issued_at)}
    if warning.state == WarningState.REJECTED:
        rejected = Event.objects.filter(
            subject_type=warning._meta.label_lower, subject_id=str(warning.pk),
            kind="warning.rejected").select_related("actor__person").last()
        if rejected and rejected.actor:
            return _("Rejected by %(who)s at %(time)s.") % {
                "who": decided_by(rejected.actor, LEVELS, rank(rejected.actor)),
                "time": at_time(rejected.occurred_at)}
    return None
