from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningsConfig(AppConfig):
    name = "early_warnings"
    verbose_name = _("Early warnings")
