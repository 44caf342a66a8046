"""WebSocket routes. The live command room (a later issue) adds its push consumer here."""

websocket_urlpatterns = []
