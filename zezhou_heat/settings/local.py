"""The embedded quick start (make run): SQLite under var/ and a private Redis on a socket
under var/, unless DATABASE_URL / REDIS_URL say otherwise. Demo accounts allowed."""

from zezhou_heat import env

from .base import *  # noqa: F403

# Off, as in production: users get the product's error pages, and WhiteNoise serves the
# static files collected by `make run`. A developer opts in with DEBUG=1.
DEBUG = env.get_bool("DEBUG", False)
SECRET_KEY = env.get_str("SECRET_KEY", "insecure-local-only-key-never-used-in-production")
DEMO_ACCOUNTS_ENABLED = True
