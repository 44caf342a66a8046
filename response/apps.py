from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "response"
    verbose_name = _("Response")

    def ready(self):
        from directory.plan_loader import plan_loaded
        from response.plan_loader import playbooks_loaded

        plan_loaded.connect(playbooks_loaded, dispatch_uid="response.playbooks")
