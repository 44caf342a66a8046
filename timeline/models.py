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
    old = models.JSONField(_("old values"), null=True, blank=True, encoder=DjangoJSONEncoder)
    new = models.JSONField(_("new values"), null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [models.Index(fields=["subject_type", "subject_id", "seq"])]

    def __str__(self):
        return f"#{self.seq} {self.kind} {self.subject_label}"
