from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandRoomConfig(AppConfig):
    name = "command_room"
    verbose_name = _("Command room")

    def ready(self):
        from command_room import push
        from timeline.signals import event_committed

        event_committed.connect(push.push_committed, dispatch_uid="command_room.push")
