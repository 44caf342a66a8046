"""WebSocket routes: the live push of the timeline to the command room and unit dashboards."""

from django.urls import path

from command_room.consumers import TimelineConsumer

websocket_urlpatterns = [
    path("ws/timeline/", TimelineConsumer.as_asgi()),
]
