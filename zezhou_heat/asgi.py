"""HTTP and WebSocket entry point, served by Uvicorn."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zezhou_heat.settings.local")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from zezhou_heat.routing import websocket_urlpatterns  # noqa: E402


def keeping_server_send(app):
    """The server's own send, kept in the scope as "server_send" for the live push
    (command_room.fanout). Channels' session middleware wraps every send to save the session
    with an HTTP response; a WebSocket frame never carries one, and the wrapper costs a
    sixth of a pushed frame's CPU, a thousand times per event."""

    async def with_server_send(scope, receive, send):
        return await app({**scope, "server_send": send}, receive, send)

    return with_server_send


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": keeping_server_send(AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        )),
    }
)

# The garbage collector, for a process that holds a thousand live sockets. Everything loaded
# so far (Django, the apps, their modules) lives as long as the process: frozen, it is not
# walked again at every full collection. Measured with bench/live_push.py (1,000 sockets):
# without this, full collections of 60-110 ms while the sockets connected (and, before the
# fan-out of command_room.fanout, 160-170 ms every ~10 s while pushing); with it, none of 5 ms
# or more after startup. A higher first threshold makes young collections rarer; what a
# request or a push allocates is freed by reference counting anyway.
gc.collect()
gc.freeze()
gc.set_threshold(50_000)  # from 700; the older generations keep theirs
