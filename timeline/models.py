from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zezhou_heat.models import AppendOnlyModel


class Event(AppendOnlyModel):
    """One change, forever. The sequence number orders events in commit order (see
    timeline.services.append_event) and is what live views resume from."""

    seq = models.BigAutoField(_("sequence number"), primary_key=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=64)
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    subject_label = models.CharField(_("subject"), max_length=255, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("incident"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="events")
    old = models.JSONField(_("old values"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("new values"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.subject_label}"


class Notification(models.Model):
    """An event addressed to one person (an overdue clock to the office director, say)."""

    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.PROTECT,
                              related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"),
                                  on_delete=models.CASCADE, related_name="notifications")
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-event__seq"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "recipient"],
                                               name="notification_once")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.recipient} ← {self.event}"
