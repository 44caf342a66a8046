from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = _("Messages to people")

    def ready(self):
        from directory.plan_loader import plan_loaded
        from notify import receivers
        from notify.signals import reply_arrived
        from timeline.signals import event_appended

        event_appended.connect(receivers.event_appended, dispatch_uid="notify.messages")
        plan_loaded.connect(receivers.plan_loaded, dispatch_uid="notify.rules")
        reply_arrived.connect(receivers.reply_arrived, dispatch_uid="notify.ack_by_reply")
