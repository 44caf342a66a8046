"""Who approves, changes and lifts which warning (plan §3.3, §3.4; DOMAIN.md).

一般: the office (office director); 较大: the commander or a deputy; 重大以上: the commander.
Higher authority covers the lower levels. A change of level needs the authority of the
higher of the two. Lifting: "谁发布、谁解除" — the level's authority, at least as high as
whoever approved the issue. These are the transitions' permission callables."""

from early_warnings.choices import EDITABLE_STATES, WarningLevel, WarningState
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
