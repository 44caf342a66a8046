from django.utils.translation import gettext_lazy as _

from early_warnings.choices import WarningState
from early_warnings.models import EarlyWarning

BOARD_SECTIONS = [
    ("in_effect", _("In effect"), [WarningState.ISSUED]),
    ("pending", _("Pending approval"), [WarningState.PENDING]),
    ("drafts", _("Drafts"), [WarningState.DRAFT, WarningState.REJECTED]),
    ("reported_up", _("Reported to the upper government"), [WarningState.REPORTED_UP]),
    ("lifted", _("Lifted"), [WarningState.LIFTED]),
]


def warnings():
    return EarlyWarning.objects.select_related("incident__township", "approved_by",
                                               "drafted_by").prefetch_related("townships")


def in_effect():
    return warnings().filter(state=WarningState.ISSUED)


def board(filtered):
    """(key, title, warnings) for each section of the board, in the board's order."""
    warnings_ = list(filtered)
    return [(key, title, [w for w in warnings_ if w.state in states])
            for key, title, states in BOARD_SECTIONS]


def awaiting_decision_by(user):
    """Warnings submitted for approval that this user's authority decides."""
    from early_warnings.authority import may_decide

    return [w for w in warnings().filter(state=WarningState.PENDING) if may_decide(w, user)]
