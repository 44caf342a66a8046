from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    EMAIL = "email", _("E-mail")


class MessageKind(models.TextChoices):
    """Why a message is sent: one per kind of cause (plan §3.3, §4.1, §4.3, §4.4)."""

    ACTIVATION = "activation", _("Task-group activation notice")
    APPROVAL = "approval", _("Approval request")
    CLOCK_REMINDER = "clock_reminder", _("Clock reminder")
    CLOCK_OVERDUE = "clock_overdue", _("Clock overdue")
    WARNING = "warning", _("Warning")
    LEVEL_CHANGE = "level_change", _("Response level change")
    RESPONSE_END = "response_end", _("Response end")
    ESCALATION = "escalation", _("Escalation")


# The order in which queued deliveries are handed over when more are due than the gateway
# takes at once: a unit's activation notice and its escalation (a 15-minute clock runs on
# them) before approvals and clock alerts, and those before a warning's bulk.
PRIORITY = {
    MessageKind.ACTIVATION: 0, MessageKind.ESCALATION: 0,
    MessageKind.APPROVAL: 1, MessageKind.CLOCK_REMINDER: 1, MessageKind.CLOCK_OVERDUE: 1,
    MessageKind.LEVEL_CHANGE: 1, MessageKind.RESPONSE_END: 1,
    MessageKind.WARNING: 2,
}


class DeliveryStatus(models.TextChoices):
    """A delivery's way: queued → sent → delivered, or failed at any step. An acknowledgement
    is recorded beside it (Delivery.acknowledged_at), as it can come on an undelivered
    receipt."""

    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Audience(models.TextChoices):
    """Whom a recipient rule names (notify.recipients)."""

    UNIT_CONTACTS = "unit_contacts", _("Contacts of the units concerned (liaisons, township officers)")
    UNIT_DUTY_PHONE = "unit_duty_phone", _("Duty phone of the units concerned")
    DECIDERS = "deciders", _("Positions that may decide the level concerned")
    ON_CALL = "on_call", _("Office director and the duty officers on shift")
    POSITIONS = "positions", _("Holders of the chosen positions")
    LEADER_IN_CHARGE = "leader_in_charge", _("Leader in charge of the unit concerned (escalation)")
    OFFICE_DIRECTOR = "office_director", _(
        "Office director, when the office is concerned (last escalation step)")


class EscalationStep(models.IntegerChoices):
    """The ladder of a notice left unacknowledged (notify.escalation)."""

    LEADER_IN_CHARGE = 1, _("To the unit's leader in charge")
    OFFICE_DIRECTOR = 2, _("To the office director")


# Why an escalation step went to nobody: the unit has no leader in charge; or, for a step to
# the office director settled before its digest, the notice was acknowledged meanwhile, or its
# response ended or was handed over.
NO_LEADER_IN_CHARGE = "no_leader_in_charge"
ACKNOWLEDGED_MEANWHILE = "acknowledged_meanwhile"
RESPONSE_OVER = "response_ended_or_handed_over"


# Failure codes the services themselves write (a provider's codes are stored as it sends them).
NO_ADDRESS = "no_address"  # the recipient has no address on this channel
ATTEMPTS_EXHAUSTED = "attempts_exhausted"
