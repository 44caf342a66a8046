from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import Unit
from early_warnings import authority
from early_warnings.choices import (
    Channel,
    WarningCategory,
    WarningLevel,
    WarningSource,
    WarningState,
)
from incidents.models import Incident
from zezhou_heat.models import limited_text
from zezhou_heat.permissions import declared_for

S = WarningState

# The elements every warning states (plan §3.3): the field, and its label.
REQUIRED_ELEMENTS = ["category", "level", "townships", "starts_at", "impact", "watch_for",
                     "measures", "issuing_body", "source"]


class EarlyWarning(ConcurrentTransitionMixin, models.Model):
    """An early warning (预警). Named so because `warnings` is Python's own module."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="early_warnings")
    category = models.CharField(_("category"), max_length=20, choices=WarningCategory.choices)
    level = models.CharField(_("warning level"), max_length=10, choices=WarningLevel.choices)
    townships = models.ManyToManyField(Unit, verbose_name=_("townships"), blank=True,
                                       related_name="+", limit_choices_to={"kind": "township"})
    places = models.CharField(_("places"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("warning period starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("warning period ends"), null=True, blank=True)
    impact = limited_text(_("possible impact"), 500, blank=True)
    watch_for = limited_text(_("what to watch for"), 500, blank=True)
    measures = limited_text(_("measures to take"), 500, blank=True)
    issuing_body = models.CharField(_("issuing body"), max_length=100, blank=True,
                                    default="泽州县供热突发事件应急救援指挥部办公室")
    source = models.CharField(_("source"), max_length=20, choices=WarningSource.choices,
                              blank=True)
    is_drill = models.BooleanField(_("drill"), default=False)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    state = FSMField(_("state"), default=S.DRAFT, choices=S.choices, protected=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("drafted by"),
                                   on_delete=models.PROTECT, related_name="+")
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_rank = models.PositiveSmallIntegerField(_("authority of the approver"), default=0)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    reported_to = models.CharField(_("reported to"), max_length=100, blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("lifted by"),
                                  on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lift_reason = limited_text(_("reason for lifting"), 500, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        permissions = declared_for("early_warnings")

    def __str__(self):
        return f"{self.get_level_display()} #{self.pk}"

    def actions_for(self, user):
        """The steps `user` may take now: the buttons the pages show (early_warnings.authority)."""
        return authority.actions(self, user)

    def who_may(self, action):
        """Who may take `action`, in words: what a refusal and a hidden button say."""
        return authority.who_may(self, action)

    @property
    def channel_labels(self):
        return [Channel(value).label for value in self.channels if value in Channel.values]

    def missing_elements(self):
        missing = [name for name in REQUIRED_ELEMENTS if name != "townships"
                   and not getattr(self, name)]
        if self.pk is None or not self.townships.exists():
            missing.insert(2, "townships")
        return missing

    @transition(field=state, source=[S.DRAFT, S.REJECTED], target=S.PENDING,
                permission=authority.DRAFT, conditions=[authority.draft_complete])
    def submit(self):
        """The duty officer submits a complete draft for approval."""

    @transition(field=state, source=S.PENDING, target=S.ISSUED, permission=authority.may_decide)
    def approve(self):
        """Approved by the level's authority and issued by the office."""

    @transition(field=state, source=S.PENDING, target=S.REJECTED, permission=authority.may_decide)
    def reject(self):
        """Sent back to the drafter."""

    @transition(field=state, source=S.PENDING, target=S.REPORTED_UP,
                permission=lambda warning, user: user.has_perm(
                    authority.LEVEL_PERMISSION[WarningLevel.MAJOR])
                and warning.level == WarningLevel.MAJOR)
    def report_up(self):
        """重大以上 beyond the county's authority: reported to the upper government, which
        issues it, instead of issued by the county."""

    @transition(field=state, source=S.ISSUED, target=S.ISSUED, permission=authority.may_update)
    def update(self):
        """Level raised or lowered, or area changed: the authority of the higher level."""

    @transition(field=state, source=S.ISSUED, target=S.LIFTED, permission=authority.may_lift)
    def lift(self):
        """Lifted by the body that issued it (谁发布、谁解除)."""


class WarningRevision(models.Model):
    """The history of an issued warning: what each version said (the CAP messages' source)."""

    warning = models.ForeignKey(EarlyWarning, verbose_name=_("warning"),
                                on_delete=models.PROTECT, related_name="revisions")
    version = models.PositiveIntegerField(_("version"))
    msg_type = models.CharField(_("message type"), max_length=10)
    sent_at = models.DateTimeField(_("sent at"))
    level = models.CharField(_("level"), max_length=10, choices=WarningLevel.choices)
    area = models.JSONField(_("area"), default=list)
    places = models.CharField(_("places"), max_length=300, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                                   on_delete=models.PROTECT, related_name="+")
    note = limited_text(_("note"), 300, blank=True)

    class Meta:
        ordering = ["warning", "version"]
        verbose_name = _("warning revision")
        verbose_name_plural = _("warning revisions")
        constraints = [models.UniqueConstraint(fields=["warning", "version"],
                                               name="warning_version_unique")]

    def __str__(self):
        return f"{self.warning} v{self.version} {self.msg_type}"
