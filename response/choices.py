from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.choices import ResponseLevel

__all__ = ["ResponseLevel", "ResponseState", "RUNNING_STATES", "OPEN_STATES", "StartMode", "ChecklistStatus",
           "CONDITIONS"]


class ResponseState(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    REJECTED = "rejected", _("Rejected")
    ACTIVE = "active", _("Active")
    HANDED_OVER = "handed_over", _("Handed over to the city")
    ENDED = "ended", _("Ended")


# A response under way: its progress is recorded, its checklist worked, its notices answered.
RUNNING_STATES = [ResponseState.ACTIVE, ResponseState.HANDED_OVER]
OPEN_STATES = [ResponseState.PROPOSED, *RUNNING_STATES]  # one response per incident at a time


class StartMode(models.TextChoices):
    APPROVED = "approved", _("Approved on the office's proposal")
    DIRECT = "direct", _("Started directly by decision of the headquarters")


class ChecklistStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    STARTED = "started", _("Started")
    DONE = "done", _("Done")


# Plan §4.10: the four conditions for ending a response, confirmed one by one.
CONDITIONS = [
    ("situation_controlled", _("The situation is under effective control")),
    ("hazards_removed", _("Risks of secondary hazards are removed")),
    ("injured_treated", _("The injured are basically treated")),
    ("order_restored", _("Social order is basically restored")),
]
