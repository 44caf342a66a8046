from django.db import models
from django.utils.translation import gettext_lazy as _

from directory.models import Person
from response.models import Notice


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
