"""Two-factor sign-in (README "Security"): under TWO_FACTOR_REQUIRED (production) the leaders,
the administrators and staff accounts give a TOTP code or a recovery code after their
password, or enrol first; until then no page, no API call and no live socket; a lost device
is reset by an administrator, never for himself, on the timeline."""

import re
from binascii import unhexlify
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory import services, two_factor
from tests.conftest import PASSWORD
from timeline.models import Event, Notification

pytestmark = pytest.mark.django_db
VERIFY = "/accounts/two-factor/"
SETUP = "/accounts/two-factor/setup/"
ACCOUNTS = "/accounts/two-factor/accounts/"


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True


def enrolled(user, codes=("abcd2345", "efgh6723")):
    """Give `user` a confirmed authenticator device and recovery codes (test data)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=recovery, token=code)
    return device


def code_of(device, wrong=False):
    """The code the authenticator app shows now (django_otp.oath.totp from the device's key),
    or one certainly not accepted (none of the three steps the device tolerates)."""
    code = totp(device.bin_key)
    if not wrong:
        return f"{code:06d}"
    accepted = {totp(device.bin_key, t0=offset) for offset in (-30, 0, 30, 60)}
    return next(f"{n:06d}" for n in range(10**6) if n not in accepted)


def password_only(client, user):
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return response


def signed_in(user, device):
    """A client signed in with the password and the device's code."""
    client = Client()
    password_only(client, user)
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    return client


def test_the_commander_cannot_reach_incidents_after_the_password_alone(client, make_user,
                                                                       required):
    commander = make_user("commander")
    device = enrolled(commander)
    password_only(client, commander)

    response = client.get("/incidents/")
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fincidents%2F"
    assert client.get("/api/incidents/").status_code == 403
    for url in ("/command/", "/admin/"):
        assert client.get(url)["Location"].startswith(VERIFY)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "两步验证" in page.content.decode()

    response = client.post(VERIFY, {"code": code_of(device), "next": "/incidents/"})
    assert response.status_code == 302 and response["Location"] == "/incidents/"
    assert client.get("/incidents/").status_code == 200
    assert client.get("/api/incidents/").status_code == 200


def test_a_wrong_code_is_refused_and_wrong_codes_are_throttled(client, make_user, required):
    deputy = make_user("deputy_commander")
    device = enrolled(deputy)
    password_only(client, deputy)

    page = client.post(VERIFY, {"code": code_of(device, wrong=True), "next": "/incidents/"})
    assert page.status_code == 200 and "验证码错误或已过期" in page.content.decode()
    assert client.get("/incidents/").status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1

    # After ten wrong codes django-otp waits 512 s before it checks another: even the right
    # code is refused until then, with the time to try again.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=10)
    page = client.post(VERIFY, {"code": code_of(device)})
    assert "错误次数过多" in page.content.decode()
    assert client.get("/incidents/").status_code == 302
    # The wait stops growing at 512 s: forty wrong codes, then nine minutes, and the holder
    # signs in (someone with the password cannot lock him out for days).
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=40, throttling_failure_timestamp=timezone.now()
        - timedelta(minutes=9))
    assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
    assert client.get("/incidents/").status_code == 200


def test_a_recovery_code_works_once(make_user, required):
    director = make_user("office_director")
    enrolled(director, codes=("abcd2345", "efgh6723"))
    first = Client()
    password_only(first, director)
    response = first.post(VERIFY, {"code": "ABCD-2345", "next": "/incidents/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/incidents/"
    assert "还剩 1 个" in response.content.decode()

    second = Client()
    password_only(second, director)
    page = second.post(VERIFY, {"code": "abcd2345"})
    assert page.status_code == 200 and second.get("/incidents/").status_code == 302
    # The refused code counts as a wrong one (the device waits 1 s before the next): let
    # that second pass rather than sleep.
    recovery = StaticDevice.objects.get(user=director)
    assert recovery.throttling_failure_count == 1
    StaticDevice.objects.filter(pk=recovery.pk).update(throttling_failure_timestamp=None)
    assert second.post(VERIFY, {"code": "efgh6723"}).status_code == 302
    assert second.get("/incidents/").status_code == 200
    assert two_factor.recovery_codes_left(director) == 0


def test_a_duty_officer_is_not_asked(client, make_user, required):
    password_only(client, make_user("duty_officer"))
    assert client.get("/incidents/").status_code == 200
    assert client.get("/api/incidents/").status_code == 200


def test_enrolment_scan_confirm_and_ten_recovery_codes_shown_once(client, make_user, required):
    commander = make_user("commander")
    password_only(client, commander)
    response = client.get("/incidents/")
    assert response["Location"] == f"{SETUP}?next=%2Fincidents%2F"
    assert client.get("/api/incidents/").status_code == 403

    page = client.get(response["Location"]).content.decode()
    key = client.session[two_factor.SESSION_KEY]
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code, drawn on the server
    assert "otpauth://totp/" in page and not TOTPDevice.objects.filter(user=commander).exists()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1)
    assert secret.replace(" ", "") == two_factor.secret_text(
        two_factor.enrolment_device(commander, key)).replace(" ", "")

    right = f"{totp(unhexlify(key)):06d}"
    wrong = next(f"{n:06d}" for n in range(10**6) if n not in {
        totp(unhexlify(key), t0=offset) for offset in (-30, 0, 30, 60)})
    page = client.post(SETUP, {"code": wrong, "next": "/incidents/"})
    assert page.status_code == 200 and "验证码" in page.content.decode()
    assert not TOTPDevice.objects.filter(user=commander).exists()

    page = client.post(SETUP, {"code": right, "next": "/incidents/"})
    html = page.content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", html)
    assert len(codes) == 10 and "/incidents/" in html
    assert TOTPDevice.objects.get(user=commander).confirmed
    event = Event.objects.get(kind="auth.two_factor_enrolled")
    assert event.actor == commander and event.new == {"username": commander.username,
                                                       "recovery_codes": 10}
    assert not any(code in str(event.new) for code in codes)
    assert client.get("/incidents/").status_code == 200  # this session gave the code
    assert client.get(SETUP).status_code == 302  # enrolled once; a lost device is reset

    again = Client()
    password_only(again, commander)
    assert again.get("/incidents/")["Location"].startswith(VERIFY)
    assert again.post(VERIFY, {"code": codes[3]}).status_code == 302
    assert again.get("/incidents/").status_code == 200


def test_an_administrator_resets_a_lost_device_on_the_timeline_never_his_own(make_user,
                                                                             required):
    commander = make_user("commander")
    commander_device = enrolled(commander)
    admin = make_user("administrator", is_staff=True)
    admin_device = enrolled(admin)
    commanders_session = signed_in(commander, commander_device)
    admins = signed_in(admin, admin_device)

    page = admins.get(ACCOUNTS).content.decode()
    assert commander.username in page and f"/accounts/two-factor/accounts/{admin.pk}/reset/" \
        not in page
    refused = admins.post(f"{ACCOUNTS}{admin.pk}/reset/")
    assert refused.status_code == 403 and "自己" in refused.content.decode()
    with pytest.raises(PermissionDenied):
        services.two_factor_reset(actor=admin, account=admin)
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert not Event.objects.filter(kind="auth.two_factor_reset").exists()

    assert admins.post(f"{ACCOUNTS}{commander.pk}/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=commander).exists()
    assert not StaticDevice.objects.filter(user=commander).exists()
    event = Event.objects.get(kind="auth.two_factor_reset")
    assert event.actor == admin and event.subject_id == str(commander.pk)
    assert event.new == {"username": commander.username, "devices": 2, "leadership": True}
    assert Notification.objects.filter(event=event, recipient=commander).exists()
    # The commander's session that gave the old code is verified no more: he enrols again.
    assert commanders_session.get("/incidents/")["Location"].startswith(SETUP)


def test_only_administrators_reset_a_second_factor(client, make_user):
    commander = make_user("commander")
    enrolled(commander)
    director = make_user("office_director")
    client.force_login(director)
    assert client.get(ACCOUNTS).status_code == 403
    assert client.post(f"{ACCOUNTS}{commander.pk}/reset/").status_code == 403
    assert TOTPDevice.objects.filter(user=commander).exists()


def test_without_two_factor_required_nobody_is_forced(client, make_user, settings):
    settings.TWO_FACTOR_REQUIRED = False
    commander = make_user("commander")
    password_only(client, commander)
    assert client.get("/incidents/").status_code == 200
    admin = make_user("administrator", is_staff=True)
    other = Client()
    password_only(other, admin)
    assert other.get("/admin/").status_code == 200
    # Whoever chose to set up an app in the quick start is still asked for its code.
    deputy = make_user("deputy_commander")
    enrolled(deputy)
    third = Client()
    password_only(third, deputy)
    assert third.get("/incidents/").status_code == 302


def test_an_api_token_needs_the_code_too(client, make_user, required):
    commander = make_user("commander")
    body = {"username": commander.username, "password": PASSWORD}
    refused = client.post("/api/auth/token/", body, REMOTE_ADDR="10.0.0.8")
    assert refused.status_code == 400 and "otp_token" in refused.json()  # no device yet
    device = enrolled(commander)
    refused = client.post("/api/auth/token/", body, REMOTE_ADDR="10.0.0.8")
    assert refused.status_code == 400 and "otp_token" in refused.json()
    wrong = client.post("/api/auth/token/", {**body, "otp_token": code_of(device, wrong=True)},
                        REMOTE_ADDR="10.0.0.8")
    assert wrong.status_code == 400 and "otp_token" in wrong.json()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    token = client.post("/api/auth/token/", {**body, "otp_token": code_of(device)},
                        REMOTE_ADDR="10.0.0.8").json()["token"]
    assert Client().get("/api/incidents/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200

    duty = make_user("duty_officer")  # not privileged: the password alone, as before
    assert client.post("/api/auth/token/", {"username": duty.username, "password": PASSWORD},
                       REMOTE_ADDR="10.0.0.9").status_code == 200


def test_the_live_socket_refuses_a_session_that_owes_the_code(make_user, required):
    commander = make_user("commander")
    device = enrolled(commander)
    client = Client()
    password_only(client, commander)
    assert two_factor.session_pending(commander, client.session)
    client.post(VERIFY, {"code": code_of(device)})
    assert not two_factor.session_pending(commander, client.session)
    duty = make_user("duty_officer")
    assert not two_factor.session_pending(duty, {})


def test_who_needs_a_second_factor_is_decided_from_positions(make_user, required):
    needs = {position: two_factor.required_for(make_user(position)) for position in (
        "commander", "deputy_commander", "office_director", "administrator", "duty_officer",
        "unit_liaison", "township_officer", "enterprise_reporter")}
    assert {p for p, needed in needs.items() if needed} == {
        "commander", "deputy_commander", "office_director", "administrator"}
    assert two_factor.required_for(make_user(None, is_superuser=True))
