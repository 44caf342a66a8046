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

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# The garbage collector, for a process that holds a thousand live sockets. Everything loaded
# so far (Django, the apps, their modules) lives as long as the process: freezing it keeps the
# collector from walking it again at every full collection, which took 160-170 ms every ~10 s
# under load and delayed the frames of that moment. A higher first threshold makes the young
# collections rarer; the objects of a request or a push die young and are freed by reference
# counting anyway. Measured in bench/live_push.py.
gc.collect()
gc.freeze()
gc.set_threshold(50_000)  # from 700; the older generations keep theirs
