"""Settings come from the environment and fail at start, with the variable named, on a bad
value; production settings pass Django's deployment checks."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from zezhou_heat import env

ROOT = Path(__file__).resolve().parent.parent
GOOD_PRODUCTION_ENV = {
    "SECRET_KEY": "k" * 20 + "9f3a2b7c1d0e5f4a8b6c2d9e0f1a3b5c7d9e",
    "DATABASE_URL": "postgres://zezhou@db.example:5432/zezhou",
    "REDIS_URL": "redis://redis.example:6379/0",
    "ALLOWED_HOSTS": "heat.zezhou.gov.cn",
}


def manage(*args, settings="zezhou_heat.settings.production", extra_env=None):
    environment = {k: v for k, v in os.environ.items()
                   if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG",
                                "DJANGO_ALLOW_ASYNC_UNSAFE")}
    environment.update(extra_env or {})
    environment["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    extra_env=GOOD_PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("name, value, message", [
    ("SECRET_KEY", "", "SECRET_KEY must be set"),
    ("SECRET_KEY", "short", "SECRET_KEY must be at least 50 characters"),
    ("DATABASE_URL", "mysql://x@db/zezhou", "DATABASE_URL='mysql://x@db/zezhou' is not valid"),
    ("REDIS_URL", "", "REDIS_URL must be set"),
    ("ALLOWED_HOSTS", "", "ALLOWED_HOSTS must list"),
    ("DEBUG", "maybe", "DEBUG='maybe' is not valid"),
    ("DATABASE_POOL_MAX", "many", "DATABASE_POOL_MAX='many' is not valid"),
])
def test_production_refuses_to_start_on_a_bad_value(monkeypatch, name, value, message):
    """In this process (a subprocess per value added 2 s each and nothing else): the
    production module is executed afresh with the environment of the case; every value
    it checks is read by that module itself. The whole start, in a process of its own, is
    test_production_settings_pass_check_deploy_without_warnings."""
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG",
                     "DATABASE_POOL_MIN", "DATABASE_POOL_MAX"):
        monkeypatch.delenv(variable, raising=False)
    for variable, raw in {**GOOD_PRODUCTION_ENV, name: value}.items():
        monkeypatch.setenv(variable, raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        runpy.run_module("zezhou_heat.settings.production")
    assert message in str(refused.value)


# base is executed afresh on purpose (it is already imported as the test settings' base)
RERUN_BASE = pytest.mark.filterwarnings("ignore:'zezhou_heat.settings.base' found in sys.modules")


@RERUN_BASE
@pytest.mark.parametrize("name, value, message", [
    ("NOTIFY_BACKENDS", "sms=aliyun", "NOTIFY_BACKENDS='sms=aliyun' is not valid"),
    ("NOTIFY_BACKENDS", '{"sms": {"BACKEND": "notify.backends.outbox.OutboxBackend"}}',
     'NOTIFY_BACKENDS must name "sms", "wecom" and "email"'),
    ("NOTIFY_MAX_ATTEMPTS", "0", "NOTIFY_MAX_ATTEMPTS='0' is not valid"),
])
def test_messages_refuse_to_start_on_a_bad_value(monkeypatch, name, value, message):
    """The settings every environment shares (base) read the messages' settings themselves."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as refused:
        runpy.run_module("zezhou_heat.settings.base")
    assert message in str(refused.value)


@RERUN_BASE
def test_a_county_s_gateways_are_read_from_notify_backends(monkeypatch):
    configured = ('{"sms": {"BACKEND": "notify.backends.aliyun.AliyunSms", "OPTIONS": '
                  '{"sign_name": "泽州供热"}}, "wecom": {"BACKEND": "notify.backends.outbox.'
                  'OutboxBackend"}, "email": {"BACKEND": "notify.backends.outbox.OutboxBackend"}}')
    monkeypatch.setenv("NOTIFY_BACKENDS", configured)
    monkeypatch.setenv("NOTIFY_OUTBOX_FAIL", "13800000001:permanent")
    base = runpy.run_module("zezhou_heat.settings.base")
    assert base["NOTIFY_BACKENDS"]["sms"]["OPTIONS"] == {"sign_name": "泽州供热"}
    assert base["OUTBOX_BACKEND"]["OPTIONS"]["fail"] == {"13800000001": "permanent"}


def test_production_settings_module_loads_with_good_values(monkeypatch):
    """The other side of the test above: with the good environment, the same in-process
    execution succeeds, so each refusal above is the bad value's doing."""
    for variable in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, raw in GOOD_PRODUCTION_ENV.items():
        monkeypatch.setenv(variable, raw)
    production = runpy.run_module("zezhou_heat.settings.production")
    assert production["DEBUG"] is False and production["DEMO_ACCOUNTS_ENABLED"] is False


def test_demo_accounts_are_refused_under_production_settings():
    result = manage("load_demo", extra_env=GOOD_PRODUCTION_ENV)
    assert result.returncode != 0
    assert "Demo accounts exist only in the embedded quick start" in result.stderr


@pytest.mark.parametrize("raw, expected", [("1", True), ("yes", True), ("off", False),
                                           ("FALSE", False)])
def test_booleans_read_strictly(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env.get_bool("SOME_FLAG", not expected) is expected


def test_redis_url_needs_a_known_scheme(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "http://localhost:6379")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL='http://localhost:6379'"):
        env.get_url("REDIS_URL", None, env.REDIS_SCHEMES)


def test_trusted_proxies_are_addresses_or_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.5, 172.28.0.0/24, ::1")
    assert env.get_networks("TRUSTED_PROXIES", []) == ["10.0.0.5", "172.28.0.0/24", "::1"]
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.5,proxy.local")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES='proxy.local' is not valid"):
        env.get_networks("TRUSTED_PROXIES", [])


def test_embedded_defaults_use_sqlite_and_a_redis_socket_under_var():
    result = manage("shell", "--no-imports", "-c", "from django.conf import settings as s; "
                    "print(s.DATABASES['default']['ENGINE']); print(s.REDIS_URL); "
                    "print(s.CELERY_BROKER_URL)", settings="zezhou_heat.settings.local")
    assert result.returncode == 0, result.stderr
    engine, redis_url, broker = result.stdout.split()
    assert engine == "django.db.backends.sqlite3"
    assert redis_url == f"unix://{ROOT / 'var' / 'redis.sock'}"
    assert broker == f"redis+socket://{ROOT / 'var' / 'redis.sock'}"


def test_health_check_answers_over_plain_http_on_loopback_in_production():
    code = ("from django.test import Client; r = Client().get('/healthz', HTTP_HOST='127.0.0.1'); "
            "print(r.status_code)")
    result = manage("shell", "--no-imports", "-c", code,
                    extra_env={**GOOD_PRODUCTION_ENV,
                               "DATABASE_URL": "sqlite:////tmp/zezhou-health.sqlite3"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200"
