from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from directory.models import Person, Position, Unit
from early_warnings.choices import WarningLevel
from early_warnings.models import EarlyWarning
from incidents.models import Deadline, Incident
from notify.choices import Audience, Channel, DeliveryStatus, EscalationStep, MessageKind
from response.models import Notice, Response
from timeline.models import Event
from zezhou_heat.permissions import declared_for


class Message(models.Model):
    """What is sent and why: one text, to as many people as its recipient rules name. `cause`
    is unique ("notice:12", "event:345"), so whatever runs twice, a cause has one message."""

    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices, db_index=True)
    cause = models.CharField(_("cause"), max_length=64, unique=True)
    text = models.TextField(_("text"))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    notice = models.ForeignKey(Notice, verbose_name=_("notice"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="messages")
    warning = models.ForeignKey(EarlyWarning, verbose_name=_("warning"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="messages")
    response = models.ForeignKey(Response, verbose_name=_("response"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    deadline = models.ForeignKey(Deadline, verbose_name=_("clock"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="messages")
    event = models.ForeignKey(Event, verbose_name=_("caused by event"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class Delivery(models.Model):
    """One message to one recipient on one channel, and what became of it. `key` is the
    idempotency key (cause, recipient, channel): a delivery cannot be created twice, and the
    backend passes it to the provider where the provider takes one."""

    message = models.ForeignKey(Message, verbose_name=_("message"), on_delete=models.PROTECT,
                                related_name="deliveries")
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    # A person removed from the directory leaves their deliveries, named by `recipient`.
    person = models.ForeignKey(Person, verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="deliveries")
    recipient = models.CharField(_("recipient"), max_length=100, blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # notify.choices.PRIORITY: lower first.
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    provider_ref = models.CharField(_("provider's reference"), max_length=100, blank=True,
                                    db_index=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    handed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    error_code = models.CharField(_("last error code"), max_length=64, blank=True)
    next_channels = models.JSONField(_("channels left to try"), default=list, blank=True)
    fallback_of = models.OneToOneField("self", verbose_name=_("fallback of"), null=True,
                                       blank=True, on_delete=models.PROTECT,
                                       related_name="fallback")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["channel", "provider_ref"],
                                    condition=~Q(provider_ref=""),
                                    name="delivery_provider_ref_unique"),
        ]
        indexes = [
            # What the hand-over claims: queued and due, the most urgent first.
            models.Index(fields=["priority", "next_attempt_at"], condition=Q(status="queued"),
                         name="delivery_due"),
        ]

    def __str__(self):
        return f"{self.message} → {self.recipient_name} ({self.get_channel_display()})"

    @property
    def recipient_name(self):
        """The person's name, or "<unit> duty phone"."""
        if self.recipient:
            return self.recipient
        return _("%(unit)s duty phone") % {"unit": self.unit.short_name} if self.unit_id else ""


@deconstructible
class ListOf:
    """A validator: the value is a list of distinct values out of `choices` (a TextChoices
    class; non-empty when `required`), the wrong ones named in the error."""

    def __init__(self, choices, required):
        self.choices, self.required = choices, required

    def __call__(self, value):
        allowed = list(self.choices.values)
        if not isinstance(value, list):
            raise ValidationError(_("Write a list, such as %(example)s.") % {
                "example": '["' + '", "'.join(allowed[:2]) + '"]'}, code="not_a_list")
        unknown = [str(item) for item in value if item not in allowed]
        if unknown:
            raise ValidationError(_("Not known: %(unknown)s. Choose from %(allowed)s.") % {
                "unknown": ", ".join(unknown), "allowed": ", ".join(allowed)}, code="unknown")
        if len(set(value)) != len(value):
            raise ValidationError(_("Each may appear once."), code="repeated")
        if self.required and not value:
            raise ValidationError(_("Name at least one."), code="empty")

    def __eq__(self, other):
        return (isinstance(other, ListOf) and self.choices is other.choices
                and self.required == other.required)


class RecipientRule(models.Model):
    """Who receives what, as data: for a kind of message, an audience and the channels to try
    in order (the next one when a delivery fails for good). Loaded with the plan's defaults
    (notify.rules); an administrator reads and edits them in the admin."""

    kind = models.CharField(_("message kind"), max_length=20, choices=MessageKind.choices)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    positions = models.ManyToManyField(Position, verbose_name=_("positions"), blank=True,
                                       help_text=_("For the audience “holders of the chosen "
                                                   "positions” only."))
    levels = models.JSONField(_("levels"), default=list, blank=True,
                              validators=[ListOf(WarningLevel, required=False)],
                              help_text=_("Warning levels (general, larger, major) the rule is "
                                          "for; empty: every level."))
    channels = models.JSONField(_("channels, in order"), default=list,
                                validators=[ListOf(Channel, required=True)],
                                help_text=_("sms, wecom, email: the first the recipient has an "
                                            "address on is tried first."))
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["kind", "order", "pk"]
        verbose_name = _("recipient rule")
        verbose_name_plural = _("recipient rules")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_audience_display()}"


class ChannelAddress(models.Model):
    """A person's address on a channel the directory does not hold (a WeCom userid), or one
    that replaces the directory's (another e-mail address). SMS uses the directory's mobile
    number and e-mail the login account's address unless one is set here."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="channel_addresses")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)

    class Meta:
        verbose_name = _("channel address")
        verbose_name_plural = _("channel addresses")
        constraints = [models.UniqueConstraint(fields=["person", "channel"],
                                               name="channel_address_once")]

    def __str__(self):
        return f"{self.person.name}: {self.get_channel_display()}"


class OutboxMessage(models.Model):
    """A message the outbox backend took instead of a gateway (the quick start, the tests):
    shown on /outbox/ with the statuses a gateway would report."""

    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    ref = models.CharField(_("reference"), max_length=40, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=1)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    reported_at = models.DateTimeField(_("receipt reported at"), null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        permissions = declared_for("notify")

    def __str__(self):
        return self.ref


class IncomingReply(models.Model):
    """A reply a recipient sent back (an SMS reply), kept as received; the acknowledgement by
    reply reads it (notify.services.reply_received)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    text = models.TextField(_("text"))
    received_at = models.DateTimeField(_("received at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("incoming reply")
        verbose_name_plural = _("incoming replies")

    def __str__(self):
        return f"{self.get_channel_display()} {self.received_at:%Y-%m-%d %H:%M}"


class AckLink(models.Model):
    """A short link in a notice's SMS or WeCom text that acknowledges that notice, for that
    person, in one tap and without logging in (notify.ack_links); one per notice and person.
    Its code is an HMAC of `salt` under SECRET_KEY, and only the code's own HMAC (`digest`,
    to find the row) is kept: the database alone lets nobody acknowledge in someone's name."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="ack_links")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE,
                               related_name="ack_links")
    salt = models.CharField(_("salt"), max_length=32)
    digest = models.CharField(_("code digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("acknowledgement link")
        verbose_name_plural = _("acknowledgement links")
        constraints = [models.UniqueConstraint(fields=["notice", "person"],
                                               name="one_ack_link_per_notice_and_person")]

    def __str__(self):
        return f"{self.notice} · {self.person.name}"


class AckLinkMiss(models.Model):
    """Somebody opened an acknowledgement link that does not exist: guessing is limited by
    counting these per address (notify.ack_links.too_many_misses)."""

    address = models.GenericIPAddressField(_("address"))
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("unknown link opened")
        verbose_name_plural = _("unknown links opened")

    def __str__(self):
        return f"{self.address} {self.at:%Y-%m-%d %H:%M:%S}"


class Escalation(models.Model):
    """One step of the ladder of a notice left unacknowledged: to whom it went (or why it
    went to nobody), and the clock of the next step, if there is one. One row per notice
    and step, written in the transaction that marked the previous clock overdue. A step to
    the office director is pending until the digest of its incident's burst (one message
    for all the units silent on one response: notify.escalation) links it to its message."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.PROTECT,
                               related_name="escalations")
    step = models.PositiveSmallIntegerField(_("step"), choices=EscalationStep.choices)
    message = models.ForeignKey(Message, verbose_name=_("message"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="escalations")
    recipients = models.JSONField(_("sent to"), default=list, blank=True)
    skipped = models.CharField(_("skipped because"), max_length=32, blank=True)
    # The clock whose falling overdue takes the notice to the next step.
    clock = models.OneToOneField(Deadline, verbose_name=_("next step's clock"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="escalation")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["notice", "step"]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")
        constraints = [models.UniqueConstraint(fields=["notice", "step"],
                                               name="one_escalation_per_notice_step")]
        # The steps awaiting their digest, read by every beat sweep.
        indexes = [models.Index(fields=["created_at"], name="escalation_pending", condition=Q(
            step=EscalationStep.OFFICE_DIRECTOR, message__isnull=True, skipped=""))]

    def __str__(self):
        return f"{self.notice} {self.get_step_display()}"


class TimelineCursor(models.Model):
    """How far along the timeline a reader that follows it after commit has come (the clock
    alerts: notify.services.clock_alerts_created)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    seq = models.BigIntegerField(_("last event read"), default=0)

    class Meta:
        verbose_name = _("timeline cursor")
        verbose_name_plural = _("timeline cursors")

    def __str__(self):
        return f"{self.name} @ {self.seq}"
