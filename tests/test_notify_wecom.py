"""The WeCom backend against a WeCom server on loopback (tests/fakes/wecom_webhook.py): the
group robot and the application message, and every way they fail."""

import time

import pytest

from notify.backends.base import Outgoing, SendFailure
from notify.backends.wecom import WeComBackend
from tests.fakes.wecom_webhook import WeComServer

TEXT = "【泽州供热应急】Ⅰ级响应启动，县公安局请确认收到：http://127.0.0.1/a/k7q2m9xj4p"


def robot_message(key="m1", text=TEXT):
    return Outgoing(key=key, channel="wecom", address="", text=text)


@pytest.fixture
def wecom():
    with WeComServer(key="robot-key") as server:
        yield server


def robot(wecom, **options):
    return WeComBackend(webhook_key=options.pop("webhook_key", "robot-key"),
                        base_url=wecom.url, timeout=options.pop("timeout", 2), **options)


def app(wecom, **options):
    return WeComBackend(base_url=wecom.url, corp_id="ww-corp", secret="s3cret", agent_id=1000002,
                        timeout=2, **options)


def failure(backend, outgoing):
    with pytest.raises(SendFailure) as raised:
        backend.send(outgoing)
    return raised.value


def test_the_group_robot_posts_the_text(wecom):
    handed = robot(wecom).send(robot_message())
    assert wecom.messages == [{"to": "", "msgtype": "text", "content": TEXT}]
    assert handed.provider_ref == "wecom-robot:m1"  # the webhook gives no id of its own


def test_markdown(wecom):
    robot(wecom, msgtype="markdown").send(robot_message(text="**Ⅰ级响应**"))
    assert wecom.messages[0]["msgtype"] == "markdown"
    with pytest.raises(ValueError):
        WeComBackend(webhook_key="k", msgtype="news")


def test_an_invalid_key_is_permanent(wecom):
    refused = failure(robot(wecom, webhook_key="deleted-robot"), robot_message())
    assert (refused.code, refused.temporary) == ("93000", False)
    assert not wecom.messages


def test_more_than_twenty_a_minute_is_throttled_and_temporary(wecom):
    backend = robot(wecom)
    for n in range(20):
        backend.send(robot_message(key=f"m{n}"))
    throttled = failure(backend, robot_message(key="m20"))
    assert (throttled.code, throttled.temporary, throttled.throttled) == ("45009", True, True)
    assert len(wecom.messages) == 20


def test_a_server_error_is_temporary(wecom):
    wecom.mode = "down"
    down = failure(robot(wecom), robot_message())
    assert (down.code, down.temporary) == ("http_502", True)


def test_system_busy_is_temporary(wecom):
    wecom.mode = "busy"
    busy = failure(robot(wecom), robot_message())
    assert (busy.code, busy.temporary) == ("-1", True)


def test_a_slow_server_times_out_temporarily(wecom):
    wecom.mode, wecom.delay = "slow", 3
    started = time.monotonic()
    slow = failure(robot(wecom, timeout=0.5), robot_message())
    assert slow.temporary and slow.code == "unreachable"
    assert time.monotonic() - started < 2.5  # the backend's own timeout, not the server's


def test_a_refused_connection_is_temporary():
    with WeComServer() as gone:
        url = gone.url
    refused = failure(WeComBackend(webhook_key="k", base_url=url, timeout=1), robot_message())
    assert (refused.code, refused.temporary) == ("unreachable", True)


def test_too_long_a_text_is_permanent(wecom):
    long = failure(robot(wecom), robot_message(text="暖" * 683))  # 2,049 bytes
    assert (long.code, long.temporary) == ("too_long", False)
    robot(wecom).send(robot_message(text="暖" * 682))  # 2,046 bytes: goes


def test_no_robot_configured_is_permanent(wecom):
    assert failure(WeComBackend(base_url=wecom.url), robot_message()).temporary is False


# --- the application message to one person ---------------------------------------------------


def to_user(userid="zhangsan", key="a1"):
    return Outgoing(key=key, channel="wecom", address=userid, text=TEXT)


def test_an_application_message_goes_to_the_userid(wecom):
    backend = app(wecom)
    handed = backend.send(to_user())
    backend.send(to_user(key="a2"))
    assert [m["to"] for m in wecom.messages] == ["zhangsan", "zhangsan"]
    assert len(handed.provider_ref) == 32  # WeCom's msgid
    gettoken = [r for r in wecom.requests if r[0] == "/cgi-bin/gettoken"]
    assert len(gettoken) == 1  # the token is kept for its 7,200 s
    sent = [r for r in wecom.requests if r[0] == "/cgi-bin/message/send"][0][2]
    assert sent["agentid"] == 1000002 and sent["enable_duplicate_check"] == 1


def test_an_expired_token_is_renewed_once(wecom):
    backend = app(wecom)
    backend.send(to_user())
    wecom.expire_tokens()
    backend.send(to_user(key="a2"))
    assert len(wecom.messages) == 2
    assert len([r for r in wecom.requests if r[0] == "/cgi-bin/gettoken"]) == 2


def test_an_unknown_user_is_permanent(wecom):
    unknown = failure(app(wecom), to_user("nobody"))
    assert (unknown.code, unknown.temporary) == ("81013", False)


def test_wrong_credentials_are_permanent(wecom):
    backend = WeComBackend(base_url=wecom.url, corp_id="ww-corp", secret="wrong", agent_id=1,
                           timeout=2)
    wrong = failure(backend, to_user())
    assert (wrong.code, wrong.temporary) == ("40001", False)


def test_no_application_configured_is_permanent(wecom):
    missing = failure(robot(wecom), to_user())
    assert (missing.code, missing.temporary) == ("no_application", False)


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # runpy, harmless
def test_a_county_sets_its_wecom_in_the_environment(monkeypatch, wecom):
    import runpy

    from django.utils.module_loading import import_string

    monkeypatch.setenv("NOTIFY_WECOM_WEBHOOK_KEY", "robot-key")
    monkeypatch.setenv("NOTIFY_WECOM_BASE_URL", wecom.url)
    settings = runpy.run_module("zezhou_heat.settings.base")
    config = settings["NOTIFY_BACKENDS"]["wecom"]
    backend = import_string(config["BACKEND"])(**config["OPTIONS"])
    backend.send(robot_message())
    assert len(wecom.messages) == 1
    assert settings["NOTIFY_BACKENDS"]["sms"]["BACKEND"].endswith("OutboxBackend")
