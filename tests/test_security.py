"""Login limits, session limits, the Content-Security-Policy and the interface language."""

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.utils import timezone

from tests.conftest import PASSWORD
from timeline.models import Event

pytestmark = pytest.mark.django_db


def attempt(client, username, password="wrong-password", address="10.0.0.1", **headers):
    return client.post("/accounts/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address, **headers)


PROXY = "10.9.0.2"  # the reverse proxy in front, in the tests that configure one


def test_five_failures_lock_the_user_at_that_address_for_15_minutes(client, make_user):
    user = make_user("commander")
    for _ in range(4):
        assert attempt(client, user.username).status_code == 200  # form again, with error
    locked = attempt(client, user.username)
    assert locked.status_code == 429
    assert "15分钟后重试" in locked.content.decode()
    # Even the right password is refused during the cool-off, from that address …
    assert attempt(client, user.username, PASSWORD).status_code == 429
    # … but not from another address: an attacker cannot lock the commander out everywhere.
    assert attempt(client, user.username, PASSWORD, address="10.0.0.2").status_code == 302
    # The lockout, and each attempt refused during the cool-off, are on the timeline.
    lockouts = Event.objects.filter(kind="auth.locked_out")
    assert [e.new for e in lockouts] == [{"username": user.username, "ip_address": "10.0.0.1"}] * 2


def test_the_lock_lifts_after_the_cool_off(client, make_user):
    user = make_user("commander")
    for _ in range(5):
        attempt(client, user.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_walk_around_the_limit(client, make_user):
    """Without a trusted proxy configured (the default), X-Forwarded-For is the client's own
    writing: rotating it changes nothing, the real address is limited."""
    user = make_user("commander")
    statuses = [attempt(client, user.username, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
                for n in range(1, 7)]
    assert statuses == [200] * 4 + [429] * 2
    right = attempt(client, user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert right.status_code == 429


def test_behind_a_trusted_proxy_only_the_address_it_saw_counts(client, make_user, settings):
    """Through the proxy, a client may still prepend whatever it likes to X-Forwarded-For; the
    proxy appends the address it saw, and that one is limited."""
    settings.TRUSTED_PROXIES = [PROXY]
    user = make_user("commander")
    for n in range(1, 6):
        attempt(client, user.username, address=PROXY,
                HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7")
    right = attempt(client, user.username, PASSWORD, address=PROXY,
                    HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7")
    assert right.status_code == 429
    # The commander, behind the same proxy at another address, is not locked out.
    assert attempt(client, user.username, PASSWORD, address=PROXY,
                   HTTP_X_FORWARDED_FOR="203.0.113.20").status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_forwarded_headers_count_only_from_a_trusted_proxy(settings):
    from zezhou_heat.proxies import resolve

    settings.TRUSTED_PROXIES = ["10.9.0.0/24"]

    def seen(peer, forwarded_for):
        meta = {"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": forwarded_for,
                "HTTP_X_FORWARDED_PROTO": "https"}
        resolve(meta)
        return meta["REMOTE_ADDR"], meta.get("HTTP_X_FORWARDED_PROTO")

    assert seen("203.0.113.5", "10.0.0.50") == ("203.0.113.5", None)  # not a proxy of ours
    assert seen(PROXY, "10.0.0.50, 203.0.113.5") == ("203.0.113.5", "https")
    assert seen(PROXY, "203.0.113.5, 10.9.0.7") == ("203.0.113.5", "https")  # two of ours
    assert seen(PROXY, "203.0.113.5, not-an-address") == (PROXY, "https")
    assert seen(PROXY, "[2001:db8::1]:443") == ("2001:db8::1", "https")


@pytest.mark.parametrize("through_proxy", [False, True])
def test_nobody_locks_the_commander_out_by_forging_his_address(
        client, make_user, settings, through_proxy):
    settings.TRUSTED_PROXIES = [PROXY] if through_proxy else []
    user = make_user("commander")
    commander_address = "10.0.0.50"
    for _ in range(6):
        if through_proxy:  # the attacker writes the commander's address; the proxy adds his
            attempt(client, user.username, address=PROXY,
                    HTTP_X_FORWARDED_FOR=f"{commander_address}, 203.0.113.66")
        else:
            attempt(client, user.username, address="203.0.113.66",
                    HTTP_X_FORWARDED_FOR=commander_address)
    if through_proxy:
        signed_in = attempt(client, user.username, PASSWORD, address=PROXY,
                            HTTP_X_FORWARDED_FOR=commander_address)
    else:
        signed_in = attempt(client, user.username, PASSWORD, address=commander_address)
    assert signed_in.status_code == 302
    lockouts = Event.objects.filter(kind="auth.locked_out")
    assert {e.new["ip_address"] for e in lockouts} == {"203.0.113.66"}


def test_attempts_during_the_cool_off_do_not_restart_it(client, make_user):
    """The 15 minutes run from the fifth failure, however often the attacker tries meanwhile."""
    user = make_user("commander")
    for _ in range(5):
        attempt(client, user.username)

    def minutes_pass(minutes):
        AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=minutes))

    minutes_pass(14)
    assert attempt(client, user.username).status_code == 429
    assert attempt(client, user.username, PASSWORD).status_code == 429
    minutes_pass(2)  # 16 minutes after the fifth failure
    assert attempt(client, user.username, PASSWORD).status_code == 302


def test_demo_accounts_in_the_database_do_not_sign_in_under_production_settings(
        client, plan, settings):
    from django.contrib.auth import get_user_model

    from directory.demo import DEMO_PASSWORD

    # The quick start's accounts (as load_demo makes them), in a database production serves.
    for username in ("commander", "admin"):
        get_user_model().objects.create_user(username, password=DEMO_PASSWORD)
    settings.DEMO_ACCOUNTS_ENABLED = False
    assert attempt(client, "commander", DEMO_PASSWORD).status_code == 200  # the form again
    assert "_auth_user_id" not in client.session
    assert client.post("/api/auth/token/", {"username": "admin", "password": DEMO_PASSWORD},
                       REMOTE_ADDR="10.0.0.3").status_code == 400
    settings.DEMO_ACCOUNTS_ENABLED = True  # the quick start itself
    assert attempt(client, "commander", DEMO_PASSWORD, address="10.0.0.2").status_code == 302


def test_a_session_ends_after_30_idle_minutes(client, make_user):
    client.force_login(make_user("duty_officer"))
    assert client.get("/directory/").status_code == 200
    session = client.session
    session["seen_at"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/directory/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/directory/units/").status_code == 403


def test_a_busy_session_still_ends_after_12_hours(client, make_user):
    client.force_login(make_user("duty_officer"))
    client.get("/directory/")
    session = client.session
    session["auth_at"] = int(time.time()) - 12 * 3600 - 1
    session["seen_at"] = int(time.time())
    session.save()
    assert client.get("/directory/").status_code == 302


def test_activity_keeps_a_session_alive(client, make_user):
    client.force_login(make_user("duty_officer"))
    client.get("/directory/")
    session = client.session
    session["seen_at"] = int(time.time()) - 29 * 60
    session.save()
    assert client.get("/directory/").status_code == 200


def test_every_page_carries_a_strict_content_security_policy(client, make_user):
    for url in ["/accounts/login/"]:
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "http" not in policy
    client.force_login(make_user("duty_officer"))
    assert "script-src 'self'" in client.get("/directory/")["Content-Security-Policy"]
    assert "script-src 'self'" in client.get("/api/docs/")["Content-Security-Policy"]


def test_chinese_by_default_whatever_the_browser_asks(client, plan):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in html and 'lang="zh-CN"' in html


def test_english_when_chosen(client, plan):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    html = client.get("/accounts/login/").content.decode()
    assert "Log in" in html and "登录" not in html


def test_password_validation_refuses_weak_passwords():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")
    validate_password("heating-season-2026-zz")


def test_api_tokens_authenticate(client, make_user):
    user = make_user("duty_officer")
    token = client.post("/api/auth/token/", {"username": user.username,
                                              "password": PASSWORD}).json()["token"]
    from django.test import Client

    fresh = Client()
    assert fresh.get("/api/directory/units/").status_code in (401, 403)
    assert fresh.get("/api/directory/units/",
                     HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_openapi_schema_and_local_swagger_ui(client, make_user):
    client.force_login(make_user("duty_officer"))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/timeline/events/" in schema["paths"]
    assert "/api/directory/people/" in schema["paths"]
    html = client.get("/api/docs/").content.decode()
    assert "http://" not in html and "https://" not in html  # served locally, no CDN


def test_openapi_schema_is_valid_and_warning_free(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    assert "/api/responses/{id}/approve/" in (tmp_path / "s.yml").read_text()
