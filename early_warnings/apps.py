from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarlyWarningsConfig(AppConfig):
    name = "early_warnings"
    verbose_name = _("Early warnings")

    def ready(self):
        from early_warnings.choices import Channel
        from timeline.readings import register_vocabulary

        register_vocabulary("warning_channel", dict(Channel.choices))
