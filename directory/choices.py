from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    HEADQUARTERS = "headquarters", _("Headquarters")
    OFFICE = "office", _("Headquarters office")
    MEMBER = "member", _("Member unit")
    TOWNSHIP = "township", _("Township")
    ENTERPRISE = "enterprise", _("Heating enterprise")


class PositionCode(models.TextChoices):
    """Positions carry authority (plan §2); people hold them."""

    COMMANDER = "commander", _("Commander")
    DEPUTY_COMMANDER = "deputy_commander", _("Deputy commander")
    OFFICE_DIRECTOR = "office_director", _("Office director")
    DUTY_OFFICER = "duty_officer", _("Duty officer")
    UNIT_LIAISON = "unit_liaison", _("Member-unit liaison")
    TOWNSHIP_OFFICER = "township_officer", _("Township officer")
    ENTERPRISE_REPORTER = "enterprise_reporter", _("Heating-enterprise reporter")
    ADMINISTRATOR = "administrator", _("Administrator")
