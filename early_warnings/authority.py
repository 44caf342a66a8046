"""Who approves, changes and lifts which warning (plan §3.3, §3.4; DOMAIN.md).

一般: the office (office director); 较大: the commander or a deputy; 重大以上: the commander.
Higher authority covers the lower levels. A change of level needs the authority of the
higher of the two. Lifting: "谁发布、谁解除" — the level's authority, at least as high as
whoever approved the issue. These are the transitions' permission callables."""

from early_warnings.choices import WarningLevel

LEVEL_PERMISSION = {
    WarningLevel.GENERAL: "early_warnings.approve_general_warning",
    WarningLevel.LARGER: "early_warnings.approve_larger_warning",
    WarningLevel.MAJOR: "early_warnings.approve_major_warning",
}
LEVEL_ORDER = [WarningLevel.GENERAL, WarningLevel.LARGER, WarningLevel.MAJOR]
DRAFT = "early_warnings.draft_warning"


def rank(user):
    """3 may approve 重大以上 (commander), 2 较大 (deputy), 1 一般 (office director), else 0."""
    for value, level in ((3, WarningLevel.MAJOR), (2, WarningLevel.LARGER),
                         (1, WarningLevel.GENERAL)):
        if user.has_perm(LEVEL_PERMISSION[level]):
            return value
    return 0


def higher(a, b):
    return max(a, b, key=LEVEL_ORDER.index)


def may_approve(user, level):
    return user.has_perm(LEVEL_PERMISSION[level])


def may_decide(warning, user):
    return may_approve(user, warning.level)


def may_update(warning, user):
    target = getattr(warning, "target_level", None) or warning.level
    return may_approve(user, higher(warning.level, target))


def may_lift(warning, user):
    return may_approve(user, warning.level) and rank(user) >= warning.issued_rank


def draft_complete(warning):
    return not warning.missing_elements()
