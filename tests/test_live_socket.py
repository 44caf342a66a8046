"""The live socket, end to end: a real Uvicorn, real Redis, a real WebSocket client.
Who may connect, what each user receives, one frame per event after commit, and sockets
closed when their session ends or their user is deactivated."""

import http.client
import json
import re
import time
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from directory.choices import PositionCode
from directory.models import Unit
from tests.conftest import PASSWORD
from tests.incident_helpers import report_incident
from tests.live_helpers import asgi_server, session_cookie, use_channel_layer, wait_until
from timeline.models import Event

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(redis_url, django_db_setup, django_db_blocker):
    with asgi_server(redis_url) as running:
        yield running


@pytest.fixture(autouse=True)
def pushes(settings, redis_url):
    use_channel_layer(settings, redis_url)


def opened(server, cookie=None, origin=None):
    headers = {"Origin": origin or server.url}
    if cookie:
        headers["Cookie"] = cookie
    socket = connect(f"{server.ws_url}/ws/timeline/", additional_headers=headers,
                     open_timeout=10)
    time.sleep(0.3)  # let the consumer join the push group
    return socket


def frames(socket, seconds, types=("event", "skip")):
    """Frames of these types received within `seconds`."""
    received = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = json.loads(socket.recv(timeout=left))
        except TimeoutError:
            break
        if frame["type"] in types:
            received.append(frame)
    return received


def refused_status(server, **kwargs):
    try:
        with opened(server, **kwargs):
            return None
    except InvalidStatus as refusal:
        return refusal.response.status_code


def subscribed(redis_url):
    """Whether a process of this test run listens to a push group on this Redis."""
    prefix = settings.LIVE_CHANNEL_PREFIX
    return bool(redis.Redis.from_url(redis_url, socket_timeout=1).pubsub_channels(
        f"{prefix}__group__*"))


def seqs_of(incident):
    return list(Event.objects.filter(incident=incident).values_list("seq", flat=True))


def test_a_socket_without_a_session_is_refused(server, plan):
    assert refused_status(server) == 403


def test_a_socket_from_another_origin_is_refused(server, make_user):
    _client, cookie = session_cookie(make_user(PositionCode.DUTY_OFFICER))
    assert refused_status(server, cookie=cookie, origin="http://evil.example") == 403
    assert refused_status(server, cookie=cookie) is None  # the same session, our origin


def test_a_user_without_a_position_is_refused(server, make_user):
    _client, cookie = session_cookie(make_user(None))
    assert refused_status(server, cookie=cookie) == 403


def test_each_event_arrives_once_after_its_transaction_commits(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    _client, cookie = session_cookie(duty)
    with opened(server, cookie=cookie) as socket:
        with transaction.atomic():
            incident = report_incident(duty)
            before_commit = frames(socket, 1.0)
        after_commit = frames(socket, 3.0)
    assert before_commit == []
    assert [frame["seq"] for frame in after_commit] == seqs_of(incident)  # once each, in order
    frame = after_commit[0]
    assert frame["type"] == "event" and frame["kind"] == "incident.reported"
    assert frame["incident"] == incident.pk and frame["drill"] is False
    assert "南村镇" in frame["text"]["zh-hans"]
    assert frame["text"]["en"].startswith(f"#{incident.pk} 南村镇: First report: 1 serious injury")


def test_a_township_officer_receives_only_the_sequence_of_other_townships_events(
        server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    officer = make_user(PositionCode.TOWNSHIP_OFFICER, unit_code="tw_nancun")
    _client, cookie = session_cookie(officer)
    with opened(server, cookie=cookie) as socket:
        own = report_incident(duty)
        other = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
        received = frames(socket, 3.0)
    by_seq = {frame["seq"]: frame for frame in received}
    assert sorted(by_seq) == seqs_of(own) + seqs_of(other)
    assert all(by_seq[seq]["type"] == "event" for seq in seqs_of(own))
    assert all(by_seq[seq] == {"type": "skip", "seq": seq} for seq in seqs_of(other))


def test_the_heartbeat_tells_the_latest_sequence_number(server, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    incident = report_incident(duty)
    _client, cookie = session_cookie(duty)
    with opened(server, cookie=cookie) as socket:
        beats = frames(socket, 2.5, types=("heartbeat",))
    assert beats and beats[-1]["seq"] == seqs_of(incident)[-1]


def test_the_session_limits_of_pages_hold_for_sockets(server, make_user):
    """30 idle minutes or 12 hours in all: refused on connect, and an open socket closed when
    its session goes idle (one test: each live test costs a database flush)."""
    def session_of(signed_in_ago, seen_ago):
        client, cookie = session_cookie(make_user(PositionCode.DUTY_OFFICER))
        session = client.session
        session["auth_at"] = int(time.time()) - signed_in_ago
        session["seen_at"] = int(time.time()) - seen_ago
        session.save()
        return session, cookie

    _idle, idle_cookie = session_of(31 * 60, 31 * 60)
    _old, old_cookie = session_of(13 * 3600, 0)
    assert refused_status(server, cookie=idle_cookie) == 403
    assert refused_status(server, cookie=old_cookie) == 403
    session, cookie = session_of(60, 0)
    with opened(server, cookie=cookie) as socket:
        session["seen_at"] = int(time.time()) - 31 * 60
        session.save()
        with pytest.raises(ConnectionClosed) as closed:
            frames(socket, 5.0, types=())
    assert closed.value.rcvd.code == 4401


@pytest.mark.parametrize("ending", ["log out", "deactivate"])
def test_a_socket_closes_when_its_session_ends(server, make_user, ending):
    duty = make_user(PositionCode.DUTY_OFFICER)
    client, cookie = session_cookie(duty)
    with opened(server, cookie=cookie) as socket:
        if ending == "log out":
            client.post("/accounts/logout/")
        else:
            duty.is_active = False
            duty.save()
        with pytest.raises(ConnectionClosed) as closed:
            frames(socket, 5.0, types=())
    assert closed.value.rcvd.code == 4401


def test_pushes_resume_when_a_killed_redis_comes_back(private_redis, settings, make_user):
    duty = make_user(PositionCode.DUTY_OFFICER)
    use_channel_layer(settings, private_redis.url)
    _client, cookie = session_cookie(duty)
    with asgi_server(private_redis.url) as server, opened(server, cookie=cookie) as socket:
        private_redis.kill()
        time.sleep(1)
        private_redis.start()
        # The server's subscriber reconnects and subscribes again: wait for that, seen in Redis.
        assert wait_until(lambda: subscribed(private_redis.url), 15), server.output()
        incident = report_incident(duty)
        received = frames(socket, 3.0)
    assert [(frame["type"], frame["seq"]) for frame in received] == [
        ("event", seq) for seq in seqs_of(incident)]


def test_a_socket_opened_while_redis_is_down_is_told_so_and_gets_pushes_once_it_is_back(
        private_redis, settings, make_user):
    """The process subscribes to the push at its first socket; with Redis down then, it
    keeps trying, while the socket is open and says the feed is down."""
    duty = make_user(PositionCode.DUTY_OFFICER)
    use_channel_layer(settings, private_redis.url)
    _client, cookie = session_cookie(duty)
    with asgi_server(private_redis.url, LIVE_FEED_CHECK_SECONDS=1) as server:
        private_redis.kill()
        with opened(server, cookie=cookie) as socket:
            told = frames(socket, 3.0, types=("feed",))
            private_redis.start()
            assert wait_until(lambda: subscribed(private_redis.url), 15), server.output()
            told += frames(socket, 2.0, types=("feed",))
            incident = report_incident(duty)
            received = frames(socket, 3.0)
    assert [frame["state"] for frame in told] == ["down", "up"]
    assert [(frame["type"], frame["seq"]) for frame in received] == [
        ("event", seq) for seq in seqs_of(incident)]


def login_status(server, username, password, forwarded_for):
    """POST the login form to the running server, as a client writing X-Forwarded-For."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/accounts/login/")
    form = connection.getresponse()
    cookie = form.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.read().decode())[1]
    connection.request("POST", "/accounts/login/", urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}),
        {"Cookie": cookie, "X-Forwarded-For": forwarded_for,
         "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def test_the_shipped_server_does_not_take_the_client_address_from_the_client(
        server, make_user):
    """Uvicorn run with the Dockerfile's options: rotating X-Forwarded-For does not walk
    around the login limit (the address is the peer's unless it is a trusted proxy)."""
    user = make_user(PositionCode.COMMANDER)
    statuses = [login_status(server, user.username, "wrong-password", f"198.51.100.{n}")
                for n in range(1, 6)]
    assert statuses == [200] * 4 + [429]
    assert login_status(server, user.username, PASSWORD, "198.51.100.6") == 429


def test_a_session_that_owes_the_second_factor_opens_no_socket(redis_url, make_user, settings):
    """Under TWO_FACTOR_REQUIRED the password alone opens no live feed; the code does."""
    from tests.test_two_factor import VERIFY, code_of, enrolled, password_only

    settings.TWO_FACTOR_REQUIRED = True
    commander = make_user("commander")
    device = enrolled(commander)
    client = Client()
    password_only(client, commander)
    with asgi_server(redis_url, TWO_FACTOR_REQUIRED=1) as two_factor_server:
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        assert refused_status(two_factor_server, cookie=cookie) == 403
        assert client.post(VERIFY, {"code": code_of(device)}).status_code == 302
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        assert refused_status(two_factor_server, cookie=cookie) is None
