from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import TaskGroup, Unit
from incidents.choices import Scenario
from incidents.models import Deadline, Incident
from response import authority
from response.choices import (
    CONDITIONS,
    RUNNING_STATES,
    ChecklistStatus,
    ResponseLevel,
    ResponseState,
    StartMode,
)
from zezhou_heat.models import limited_text
from zezhou_heat.permissions import declared_for

S = ResponseState


class Response(ConcurrentTransitionMixin, models.Model):
    """One response to an incident at a level Ⅰ/Ⅱ/Ⅲ (plan §4.3), from proposal to end. Each
    step is a transition whose permission depends on the level (response.authority)."""

    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT,
                                 related_name="responses")
    level = models.CharField(_("level"), max_length=4, choices=ResponseLevel.choices)
    state = FSMField(_("state"), default=S.PROPOSED, choices=S.choices, protected=True)
    suggested_level = models.CharField(_("suggested level"), max_length=4,
                                       choices=ResponseLevel.choices)
    reason = limited_text(_("reason"), 1000, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("proposed by"),
                                    on_delete=models.PROTECT, null=True, related_name="+")
    proposed_at = models.DateTimeField(_("proposed at"), null=True)
    start_mode = models.CharField(_("started"), max_length=10, choices=StartMode.choices,
                                  blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"),
                                   on_delete=models.PROTECT, null=True, related_name="+")
    started_rank = models.PositiveSmallIntegerField(
        _("authority of the starter"), default=0,
        help_text=_("3 commander, 2 deputy commander, 1 office director"))
    started_at = models.DateTimeField(_("started at"), null=True)
    decided_note = limited_text(_("decision note"), 300, blank=True)
    rejected_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("rejected by"),
                                    on_delete=models.PROTECT, null=True, related_name="+")
    rejected_at = models.DateTimeField(_("rejected at"), null=True)
    site_hq_leader = models.CharField(_("on-site headquarters leader"), max_length=50,
                                      blank=True)
    site_hq_place = models.CharField(_("on-site headquarters place"), max_length=200,
                                     blank=True)
    site_hq_at = models.DateTimeField(_("on-site headquarters set up at"), null=True)
    handed_over_to = models.CharField(_("handed over to"), max_length=100, blank=True)
    handed_over_at = models.DateTimeField(_("handed over at"), null=True)
    conditions = models.JSONField(_("end conditions confirmed"), default=dict, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("ended by"),
                                 on_delete=models.PROTECT, null=True, related_name="+")
    ended_at = models.DateTimeField(_("ended at"), null=True)
    task_groups = models.ManyToManyField(TaskGroup, verbose_name=_("task groups"), blank=True,
                                         related_name="responses")

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        permissions = declared_for("response")

    def __str__(self):
        return f"{self.incident} {self.get_level_display()}"

    def actions_for(self, user):
        """The steps `user` may take now: the buttons the pages show (response.authority)."""
        return authority.actions(self, user)

    def who_may(self, action):
        """Who may take `action`, in words: what a refusal and a hidden button say."""
        return authority.who_may(self, action)

    @property
    def running(self):
        return self.state in RUNNING_STATES

    @property
    def end_conditions(self):
        """The four conditions of §4.10 as (key, label, confirmation or None)."""
        return [(key, label, self.conditions.get(key)) for key, label in CONDITIONS]

    @transition(field=state, source=S.PROPOSED, target=S.ACTIVE,
                permission=authority.may_start_level)
    def approve(self):
        """The position with the level's authority approves the office's proposal."""

    @transition(field=state, source=S.PROPOSED, target=S.REJECTED,
                permission=authority.may_start_level)
    def reject(self):
        """… or rejects it."""

    @transition(field=state, source=S.ACTIVE, target=S.ACTIVE,
                permission=authority.may_change_level)
    def change_level(self):
        """Up or down: needs the authority of the higher of the two levels."""

    @transition(field=state, source=S.ACTIVE, target=S.HANDED_OVER,
                permission=authority.may_manage_active)
    def hand_over(self):
        """The city headquarters takes command (§4.3.1, §4.4)."""

    @transition(field=state, source=[S.ACTIVE, S.HANDED_OVER], target=S.ENDED,
                permission=authority.may_end, conditions=[authority.all_conditions_confirmed])
    def end(self):
        """§4.10: all four conditions confirmed; ended by who started it (谁启动、谁负责)."""


class LevelChange(models.Model):
    """The history of a response's level: its start and every change."""

    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.PROTECT,
                                 related_name="level_changes")
    from_level = models.CharField(_("from"), max_length=4, choices=ResponseLevel.choices,
                                  blank=True)
    to_level = models.CharField(_("to"), max_length=4, choices=ResponseLevel.choices)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"),
                                   on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = limited_text(_("reason"), 1000, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("level change")
        verbose_name_plural = _("level changes")

    def __str__(self):
        return f"{self.response}: {self.from_level or '—'} → {self.to_level}"


class Notice(models.Model):
    """A unit is told its task group is activated; it must acknowledge (确认收到) in time."""

    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.PROTECT,
                                 related_name="notices")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT,
                             related_name="notices")
    task_groups = models.ManyToManyField(TaskGroup, verbose_name=_("task groups"),
                                         related_name="+")
    deadline = models.OneToOneField(Deadline, verbose_name=_("deadline"),
                                    on_delete=models.PROTECT, related_name="notice")
    sent_at = models.DateTimeField(_("sent at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                        verbose_name=_("acknowledged by"),
                                        on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")

    class Meta:
        ordering = ["unit__order"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [models.UniqueConstraint(fields=["response", "unit"],
                                               name="one_notice_per_unit")]

    def __str__(self):
        return f"{self.response} → {self.unit}"


class PlaybookItem(models.Model):
    """An on-site measure of plan §4.5 for a scenario, owned by a task group. Data."""

    scenario = models.CharField(_("scenario"), max_length=20, choices=Scenario.choices)
    task_group = models.ForeignKey(TaskGroup, verbose_name=_("task group"),
                                   on_delete=models.PROTECT, related_name="playbook_items")
    text = models.CharField(_("measure"), max_length=300)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scenario", "order"]
        verbose_name = _("playbook item")
        verbose_name_plural = _("playbook items")
        constraints = [models.UniqueConstraint(fields=["scenario", "text"],
                                               name="playbook_item_unique")]

    def __str__(self):
        return f"{self.get_scenario_display()}: {self.text}"


class ChecklistItem(models.Model):
    """One thing to do in an active response: a level measure (§4.3, the office's) or a
    playbook item (§4.5, a task group's)."""

    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.PROTECT,
                                 related_name="checklist")
    task_group = models.ForeignKey(TaskGroup, verbose_name=_("task group"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    text = models.CharField(_("item"), max_length=300)
    is_measure = models.BooleanField(_("level measure"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=ChecklistStatus.choices,
                              default=ChecklistStatus.OPEN)
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("updated by"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["-is_measure", "task_group__order", "order"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self):
        return self.text
