"""Settings shared by every environment. Values that differ come from the environment
(see zezhou_heat/env.py); local.py and production.py choose the defaults."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from zezhou_heat import env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "channels",
    "timeline",
    "directory",
    "incidents",
    "early_warnings",
    "response",
    "notify",
    "command_room",
]

MIDDLEWARE = [
    "zezhou_heat.proxies.TrustedProxyMiddleware",
    "zezhou_heat.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zezhou_heat.middleware.ChosenLanguageMiddleware",
    "zezhou_heat.middleware.ControlCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zezhou_heat.middleware.SessionLimitsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "directory.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "zezhou_heat.middleware.NotFoundPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zezhou_heat.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "zezhou_heat.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zezhou_heat.context_processors.unread_notifications",
            ],
            "libraries": {"actions": "zezhou_heat.templatetags.actions",
                          "figures": "zezhou_heat.templatetags.figures"},
        },
    },
]

# --- environment -----------------------------------------------------------------------

DEBUG = env.get_bool("DEBUG", False)
DATABASE_URL = env.get_url(
    "DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}", env.DATABASE_SCHEMES
)
REDIS_URL = env.get_url("REDIS_URL", f"unix://{VAR_DIR / 'redis.sock'}", env.REDIS_SCHEMES)
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", [])


def database_from_url(url):
    config = environ.Env.db_url_config(url)
    if config["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, except that a stored time Python cannot hold (1 BC) is read as
        # the nearest it can instead of failing the whole query (zezhou_heat/postgresql).
        config["ENGINE"] = "zezhou_heat.postgresql"
        # Django's own psycopg 3 pool: under ASGI, persistent connections without a
        # pool exhaust PostgreSQL. The pool requires CONN_MAX_AGE = 0.
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.get_int("DATABASE_POOL_MIN", 1, minimum=0),
            "max_size": env.get_int("DATABASE_POOL_MAX", 10, minimum=1),
            # How long a request waits for a connection: with the database unreachable, a
            # request fails after this (a 503 page), not after minutes.
            "timeout": env.get_int("DATABASE_POOL_TIMEOUT", 5, minimum=1),
        }
        config["OPTIONS"]["connect_timeout"] = env.get_int("DATABASE_CONNECT_TIMEOUT", 3, minimum=1)
        statement_ms = env.get_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000, minimum=0)
        if statement_ms:
            config["OPTIONS"]["options"] = f"-c statement_timeout={statement_ms}"
    elif config["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded quick start, for one county's load: writers queue instead of failing.
        # A transaction takes the write lock when it begins (IMMEDIATE), so two people acting
        # at once never both read and then both try to write, which SQLite can only refuse
        # ("database is locked") however long the busy timeout; the second waits up to
        # `timeout` seconds, then reads what the first committed (as SELECT … FOR UPDATE does
        # on PostgreSQL). WAL lets pages read while someone writes; NORMAL is safe with WAL.
        config.setdefault("OPTIONS", {}).update({
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        })
    return config


DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def celery_url(redis_url):
    """Celery's Redis transport spells a Unix socket redis+socket://."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


CELERY_BROKER_URL = celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # The safety net under every clock: finds what a lost message or a dead worker missed.
    "sweep-deadlines": {"task": "incidents.tasks.sweep", "schedule": 1.0,
                        "options": {"expires": 5}},
}
# Every client of Redis in this project (the Celery broker, the channel layer) gives up on a
# Redis that does not answer within REDIS_TIMEOUT_SECONDS, to connect or to reply: a Redis that
# is down refuses at once, but a hung one (stopped, overloaded, a half-open connection) accepts
# and never answers, and without these timeouts a write would wait as long as it hangs.
REDIS_TIMEOUT_SECONDS = 1.0
REDIS_CLIENT_TIMEOUTS = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                         "socket_timeout": REDIS_TIMEOUT_SECONDS}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
# A web request that queues a fast-path task must not hang while Redis is down or hung: one
# attempt to connect, one to publish, each bounded by the timeouts above; then the caller gives
# up and pauses the fast path (incidents.clocks); the beat sweep still fires every clock.
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                   "interval_max": 0.2, **REDIS_CLIENT_TIMEOUTS}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_DEFAULT_QUEUE = env.get_str("CELERY_QUEUE", "celery")

# Plan §4.1: a written report within 30 minutes of the first report; a reply to an upper
# inquiry within 30 minutes. A reminder goes out 10 minutes before either falls due.
# A unit told of its task group's activation acknowledges within NOTICE_ACK_MINUTES; if it
# does not, the notice goes to its leader in charge, and NOTIFY_ESCALATION_MINUTES later, still
# unacknowledged, to the office director (notify.escalation).
NOTIFY_ESCALATION_MINUTES = env.get_int("NOTIFY_ESCALATION_MINUTES", 10, minimum=1)
DEADLINE_MINUTES = {"written_report": 30, "inquiry_reply": 30,
                    "notice_ack": env.get_int("NOTICE_ACK_MINUTES", 15, minimum=1),
                    "escalation": NOTIFY_ESCALATION_MINUTES}
DEADLINE_REMINDER_MINUTES = 10

# The worker fires the clocks in a thread (incidents/worker.py) and runs tasks in threads, not
# forked children, so no process inherits another's database sockets. Losing Redis restarts
# the worker's consumer, retrying for ever; the worker and its clock live on.
CELERY_WORKER_POOL = "threads"
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# Every pub/sub channel name in Redis starts with LIVE_CHANNEL_PREFIX. Redis pub/sub ignores
# the database number, so two installations (or two test runs) sharing one Redis need
# different prefixes not to receive each other's frames.
LIVE_CHANNEL_PREFIX = env.get_str("LIVE_CHANNEL_PREFIX", "zezhou")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, **REDIS_CLIENT_TIMEOUTS}],
                   "prefix": LIVE_CHANNEL_PREFIX},
    }
}
# The live push (command_room.push, command_room.consumers). Each open socket is told the latest
# sequence number every LIVE_HEARTBEAT_SECONDS, so a screen that missed a push (Redis down,
# a dropped message) notices and catches up; its session is checked every
# LIVE_SESSION_CHECK_SECONDS. A push that Redis does not take within LIVE_PUBLISH_TIMEOUT_MS
# is given up (the screens catch up by the heartbeat), and pushing pauses for
# LIVE_PUBLISH_PAUSE_SECONDS so that writes stay fast while Redis is down.
LIVE_HEARTBEAT_SECONDS = env.get_int("LIVE_HEARTBEAT_SECONDS", 15, minimum=1)
LIVE_SESSION_CHECK_SECONDS = env.get_int("LIVE_SESSION_CHECK_SECONDS", 30, minimum=1)
# How often each web process checks that a probe it publishes comes back through Redis; when
# it stops (or comes back) the process tells its sockets (command_room.consumers.FeedWatch).
LIVE_FEED_CHECK_SECONDS = env.get_int("LIVE_FEED_CHECK_SECONDS", 5, minimum=1)
LIVE_PUBLISH_TIMEOUT_MS = env.get_int("LIVE_PUBLISH_TIMEOUT_MS", 500, minimum=1)
LIVE_PUBLISH_PAUSE_SECONDS = env.get_int("LIVE_PUBLISH_PAUSE_SECONDS", 5, minimum=0)
# The live screens' panels are rendered once per event and audience and kept in each web
# process's memory (command_room/panels.py), never in Redis: a Redis outage leaves the board.
# LIVE_PANELS_SHARED=0 renders them for every request (bench/screens.py's "before").
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "panels": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
               "LOCATION": "panels", "OPTIONS": {"MAX_ENTRIES": 1000}},
}
LIVE_PANELS_SHARED = env.get_bool("LIVE_PANELS_SHARED", True)
# ... and pushed on the screens' sockets after each event (command_room/panel_push.py), so a
# screen need not fetch them; LIVE_PANELS_PUSH=0 leaves the fetching to the browsers.
LIVE_PANELS_PUSH = env.get_bool("LIVE_PANELS_PUSH", True)

# --- people, sessions, login security ------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "directory.backends.DemoPasswordRefusedBackend",
    "django.contrib.auth.backends.ModelBackend",
    "directory.backends.PositionPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(timedelta(hours=12).total_seconds())
SESSION_IDLE_SECONDS = int(timedelta(minutes=30).total_seconds())
SESSION_ABSOLUTE_SECONDS = SESSION_COOKIE_AGE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# After 5 failures for one user name from one address, a 15-minute cool-off. Never a
# permanent lock: an attacker must not be able to lock the commander out in an emergency.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The cool-off runs from the fifth failure: attempts refused during it do not restart it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# The client's address, from X-Forwarded-For only when the peer is one of TRUSTED_PROXIES
# (zezhou_heat.proxies; none by default: the address is the peer's).
AXES_CLIENT_IP_CALLABLE = "zezhou_heat.proxies.client_address"
TRUSTED_PROXIES = env.get_networks("TRUSTED_PROXIES", [])
if env.get_str("PROXY_COUNT"):
    raise ImproperlyConfigured("PROXY_COUNT is no longer read: list the reverse proxies' "
                               "addresses in TRUSTED_PROXIES instead.")
AXES_VERBOSE = False

# Two-factor sign-in (directory.two_factor): where TWO_FACTOR_REQUIRED is True (production),
# the commander, deputy commanders, office director, administrators, staff and superusers give
# a TOTP code (or a recovery code) after their password, and enrol first if they have no
# device. Anyone who enrolled is asked for the code wherever it is False (the quick start).
TWO_FACTOR_REQUIRED = env.get_bool("TWO_FACTOR_REQUIRED", False)
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.get_str("OTP_TOTP_ISSUER", "泽州供热应急指挥")
# Wrong codes: django-otp waits 1, 2, 4, 8 … seconds (per device) before it tries another.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- language and time -------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- static assets: vendored, served by the app, never from a CDN -------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- API -------------------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "zezhou_heat.api.Pagination",
    "DEFAULT_PARSER_CLASSES": [
        "zezhou_heat.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "zezhou_heat.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Zezhou heating emergency command API",
    "DESCRIPTION": "泽州县供热应急指挥平台 API",
    "VERSION": "0.1.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "zezhou_heat.api.declare_error_responses"],
    "ENUM_NAME_OVERRIDES": {"PositionCodeEnum": "directory.choices.PositionCode",
                            "ResponseLevelEnum": "incidents.choices.ResponseLevel",
                            "IncidentStatusEnum": "incidents.choices.IncidentStatus",
                            "ChecklistStatusEnum": "response.choices.ChecklistStatus",
                            "WarningLevelEnum": "early_warnings.choices.WarningLevel",
                            # Named here since a list and a detail share them (IncidentList,
                            # Incident): the names they had with one component each.
                            "IncidentChannelEnum": "incidents.choices.ReportChannel",
                            "ResponseStateEnum": "response.choices.ResponseState",
                            "WarningStateEnum": "early_warnings.choices.WarningState"},
}

# CAP 1.2 messages (early warnings): who sends them, and the public address of the dashboard.
CAP_SENDER = env.get_str("CAP_SENDER", "heat-emergency@zezhou.gov.cn")
CAP_IDENTIFIER_PREFIX = env.get_str("CAP_IDENTIFIER_PREFIX", "cn.gov.zezhou.heat")
PUBLIC_BASE_URL = env.get_str("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# Demo accounts are created only where this is True: the embedded quick start.
DEMO_ACCOUNTS_ENABLED = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.get_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},  # one INFO line per login otherwise
}

# Messages to people (notify): the backend of each channel. The quick start and the tests keep
# every message in the outbox (/outbox/); a county sets its gateways (README, "Messages") in
# NOTIFY_BACKENDS, a JSON object naming every channel. NOTIFY_OUTBOX_FAIL makes the outbox
# refuse chosen addresses, for the demo of retries and fallback: "13800000001:permanent,…".
OUTBOX_BACKEND = {"BACKEND": "notify.backends.outbox.OutboxBackend", "OPTIONS": {
    "fail": dict(entry.rsplit(":", 1) for entry in env.get_list("NOTIFY_OUTBOX_FAIL", [])
                 if ":" in entry)}}
NOTIFY_BACKENDS = env.get_json_object(
    "NOTIFY_BACKENDS", {"sms": OUTBOX_BACKEND, "wecom": OUTBOX_BACKEND, "email": OUTBOX_BACKEND})
if set(NOTIFY_BACKENDS) != {"sms", "wecom", "email"} or not all(
        isinstance(c, dict) and "BACKEND" in c for c in NOTIFY_BACKENDS.values()):
    raise ImproperlyConfigured('NOTIFY_BACKENDS must name "sms", "wecom" and "email", each '
                               'as {"BACKEND": "dotted.path", "OPTIONS": {…}}.')
# A temporary failure is retried after NOTIFY_RETRY_SECONDS, then twice that, … at most
# NOTIFY_RETRY_MAX_SECONDS apart; after NOTIFY_MAX_ATTEMPTS attempts the delivery fails and
# the recipient's next channel is tried. A delivery handed to a backend is leased for
# NOTIFY_CLAIM_SECONDS (longer than any backend's timeout): only a worker killed mid-send
# leaves it to be handed over again after that.
NOTIFY_MAX_ATTEMPTS = env.get_int("NOTIFY_MAX_ATTEMPTS", 5, minimum=1)
NOTIFY_RETRY_SECONDS = env.get_int("NOTIFY_RETRY_SECONDS", 10, minimum=1)
NOTIFY_RETRY_MAX_SECONDS = env.get_int("NOTIFY_RETRY_MAX_SECONDS", 600, minimum=1)
NOTIFY_CLAIM_SECONDS = env.get_int("NOTIFY_CLAIM_SECONDS", 120, minimum=10)
# Deliveries claimed at once by one worker, and their outcomes recorded together in one
# transaction (a worker killed mid-way sends at most these again when their lease ends).
NOTIFY_BATCH = 10
# A throttle holds the channel's senders, and puts the delivery back, for two turns of the
# channel's pace, at most NOTIFY_THROTTLE_WAIT_SECONDS, without the attempt counting, for
# NOTIFY_THROTTLE_PATIENCE_SECONDS after the delivery was made; later, a throttle counts as
# an attempt (and the next channel is tried in the end).
NOTIFY_THROTTLE_WAIT_SECONDS = 1
NOTIFY_THROTTLE_PATIENCE_SECONDS = env.get_int("NOTIFY_THROTTLE_PATIENCE_SECONDS", 600,
                                               minimum=1)
# Processes that send (the worker's concurrency): while Redis is down each paces itself at
# this share of a gateway's rate (notify.pacing).
NOTIFY_SENDING_PROCESSES = env.get_int("NOTIFY_SENDING_PROCESSES", 2, minimum=1)
NOTIFY_PACE_KEY = "zezhou:notify:pace:{channel}"  # the Redis key of a channel's schedule
# A worker sleeps at most this long for a channel's turn; a turn further off puts the message
# back until then (no attempt counted) and the worker goes on with the next.
NOTIFY_PACE_MAX_WAIT_SECONDS = 2
# How often beat hands over what is queued (the safety net under the after-commit task) and
# asks the backends for receipts and replies.
NOTIFY_SWEEP_SECONDS = env.get_int("NOTIFY_SWEEP_SECONDS", 5, minimum=1)
NOTIFY_POLL_SECONDS = env.get_int("NOTIFY_POLL_SECONDS", 10, minimum=1)
# Deliveries still waiting for a receipt named to a backend that polls per message (Aliyun's
# QuerySendDetails) at one poll, oldest first; the backend asks about its own batch of them.
NOTIFY_POLL_OUTSTANDING = 500
# The delivery board's "undelivered" filter: not delivered this many minutes after it was
# queued (the page lets the reader choose another number).
NOTIFY_UNDELIVERED_MINUTES = env.get_int("NOTIFY_UNDELIVERED_MINUTES", 10, minimum=1)
CELERY_BEAT_SCHEDULE.update({
    "notify-sweep": {"task": "notify.tasks.sweep", "schedule": float(NOTIFY_SWEEP_SECONDS),
                     "options": {"expires": NOTIFY_SWEEP_SECONDS * 2}},
    "notify-poll": {"task": "notify.tasks.poll", "schedule": float(NOTIFY_POLL_SECONDS),
                    "options": {"expires": NOTIFY_POLL_SECONDS * 2}},
})

# The county's SMS gateway (README, "Messages"): "outbox" (the quick start: messages stay in
# /outbox/), "aliyun" (Aliyun SMS, notify.backends.aliyun) or "smpp" (a carrier's or the
# government platform's SMSC, notify.backends.smpp).
SMS_GATEWAY = env.get_str("SMS_GATEWAY", "outbox")
if SMS_GATEWAY == "aliyun":
    NOTIFY_BACKENDS["sms"] = {"BACKEND": "notify.backends.aliyun.AliyunSms", "OPTIONS": {
        "endpoint": env.get_url("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com",
                                {"https", "http"}),
        "access_key_id": env.get_str("ALIYUN_SMS_ACCESS_KEY_ID", required=True),
        "access_key_secret": env.get_str("ALIYUN_SMS_ACCESS_KEY_SECRET", required=True),
        "sign_name": env.get_str("ALIYUN_SMS_SIGN_NAME", required=True),
        "template_code": env.get_str("ALIYUN_SMS_TEMPLATE_CODE", required=True),
        "template_params": env.get_list("ALIYUN_SMS_TEMPLATE_PARAMS", ["content"]),
        "param_max_chars": env.get_int("ALIYUN_SMS_PARAM_MAX_CHARS", 0, minimum=0),
        "timeout": env.get_int("ALIYUN_SMS_TIMEOUT_SECONDS", 5, minimum=1),
        # SendSms calls a second for the whole account (every process shares it: notify.pacing).
        "max_per_second": env.get_int("ALIYUN_SMS_MAX_PER_SECOND", 100, minimum=1),
    }}
elif SMS_GATEWAY == "smpp":
    NOTIFY_BACKENDS["sms"] = {"BACKEND": "notify.backends.smpp.SmppSms", "OPTIONS": {
        "host": env.get_str("SMPP_HOST", required=True),
        "port": env.get_int("SMPP_PORT", 2775, minimum=1),
        "system_id": env.get_str("SMPP_SYSTEM_ID", required=True),
        "password": env.get_str("SMPP_PASSWORD", required=True),
        "system_type": env.get_str("SMPP_SYSTEM_TYPE", ""),
        "source_addr": env.get_str("SMPP_SOURCE_ADDR", ""),
        "timeout": env.get_int("SMPP_TIMEOUT_SECONDS", 10, minimum=1),
        "enquire_link_seconds": env.get_int("SMPP_ENQUIRE_LINK_SECONDS", 30, minimum=5),
        "max_per_second": env.get_int("SMPP_MAX_PER_SECOND", 50, minimum=1),  # the contract's
    }}
elif SMS_GATEWAY != "outbox":
    raise ImproperlyConfigured(f"SMS_GATEWAY={SMS_GATEWAY!r} is not valid: expected outbox, "
                               "aliyun or smpp.")
# Aliyun's pushes (delivery reports, replies) are believed when their URL holds this token
# and, if networks are listed, they come from one of them (notify.gateway_views).
ALIYUN_SMS_CALLBACK_TOKEN = env.get_str("ALIYUN_SMS_CALLBACK_TOKEN", "")
if ALIYUN_SMS_CALLBACK_TOKEN and len(ALIYUN_SMS_CALLBACK_TOKEN) < 32:
    raise ImproperlyConfigured("ALIYUN_SMS_CALLBACK_TOKEN must be at least 32 characters.")
ALIYUN_SMS_CALLBACK_NETWORKS = env.get_networks("ALIYUN_SMS_CALLBACK_NETWORKS", [])

# WeCom (notify.backends.wecom): a group robot's webhook key, and/or an application (corp id,
# its secret and agent id) for messages to one person's WeCom userid.
if env.get_str("NOTIFY_WECOM_WEBHOOK_KEY") or env.get_str("NOTIFY_WECOM_CORP_ID"):
    NOTIFY_BACKENDS["wecom"] = {"BACKEND": "notify.backends.wecom.WeComBackend", "OPTIONS": {
        "webhook_key": env.get_str("NOTIFY_WECOM_WEBHOOK_KEY", ""),
        "msgtype": env.get_str("NOTIFY_WECOM_MSGTYPE", "text"),
        "base_url": env.get_url("NOTIFY_WECOM_BASE_URL", "https://qyapi.weixin.qq.com",
                                {"http", "https"}),
        "corp_id": env.get_str("NOTIFY_WECOM_CORP_ID", ""),
        "secret": env.get_str("NOTIFY_WECOM_SECRET", ""),
        "agent_id": env.get_int("NOTIFY_WECOM_AGENT_ID", None, minimum=1),
        "timeout": env.get_int("NOTIFY_WECOM_TIMEOUT", 10, minimum=1),
        # A group robot takes 20 messages a minute.
        "max_per_second": env.get_int("NOTIFY_WECOM_MAX_PER_MINUTE", 20, minimum=1) / 60,
    }}
# E-mail (notify.backends.email): the county's SMTP server, with a connection of its own.
if env.get_str("NOTIFY_EMAIL_HOST"):
    NOTIFY_BACKENDS["email"] = {"BACKEND": "notify.backends.email.EmailBackend", "OPTIONS": {
        "host": env.get_str("NOTIFY_EMAIL_HOST"),
        "port": env.get_int("NOTIFY_EMAIL_PORT", 25, minimum=1),
        "username": env.get_str("NOTIFY_EMAIL_USER", ""),
        "password": env.get_str("NOTIFY_EMAIL_PASSWORD", ""),
        "use_tls": env.get_bool("NOTIFY_EMAIL_STARTTLS", False),
        "use_ssl": env.get_bool("NOTIFY_EMAIL_SSL", False),
        "timeout": env.get_int("NOTIFY_EMAIL_TIMEOUT", 10, minimum=1),
        "from_email": env.get_str("NOTIFY_EMAIL_FROM", required=True),
    }}

# The one-tap acknowledgement link (notify.ack_links): the address phones reach the site at
# (it goes into every SMS, so keep it short), how long a link lives at most (it dies earlier
# with its notice), and how many unknown links one address may open in 15 minutes.
NOTIFY_LINK_BASE_URL = env.get_url("NOTIFY_LINK_BASE_URL", PUBLIC_BASE_URL, {"http", "https"})
NOTIFY_ACK_LINK_HOURS = env.get_int("NOTIFY_ACK_LINK_HOURS", 24, minimum=1)
NOTIFY_ACK_LINK_MISSES = env.get_int("NOTIFY_ACK_LINK_MISSES", 20, minimum=1)
# Whether an activation SMS invites a reply with its code: true where the SMS gateway
# delivers replies (Aliyun's SmsUp push, an SMPP platform's deliver_sm).
NOTIFY_SMS_REPLIES = env.get_bool("NOTIFY_SMS_REPLIES", True)
