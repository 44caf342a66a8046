"""Settings for the test suite: the local defaults, with fast password hashing."""

import os

from zezhou_heat import env

from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve static files from the source folders, as in development: no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A file, not memory, so that a Celery worker started by a test can share the test database.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}  # noqa: F405

# Test runs share the machine's Redis (pytest-xdist workers, other checkouts, CI), and Redis
# pub/sub channels are not scoped by database number: each test process pushes and listens
# under a prefix of its own. The processes a test starts (Uvicorn, Celery) are given it.
LIVE_CHANNEL_PREFIX = env.get_str("LIVE_CHANNEL_PREFIX") or "zezhou-test-{}-{}".format(
    os.environ.get("PYTEST_XDIST_WORKER", "main"), os.getpid())
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = LIVE_CHANNEL_PREFIX  # noqa: F405
NOTIFY_PACE_KEY = LIVE_CHANNEL_PREFIX + ":pace:{channel}"
