from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResponseConfig(AppConfig):
    name = "response"
    verbose_name = _("Response")

    def ready(self):
        from directory.plan_loader import plan_loaded
        from incidents.signals import final_report_filing
        from response.choices import CONDITIONS
        from response.plan_loader import playbooks_loaded
        from response.services import refuse_final_report_while_open
        from timeline.readings import register_vocabulary

        plan_loaded.connect(playbooks_loaded, dispatch_uid="response.playbooks")
        final_report_filing.connect(refuse_final_report_while_open,
                                    dispatch_uid="response.final_report")
        register_vocabulary("end_condition", dict(CONDITIONS))
