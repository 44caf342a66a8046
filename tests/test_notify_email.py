"""The e-mail backend against an SMTP server on loopback (aiosmtpd, tests/fakes/smtp_server.py):
the message as sent, its Message-ID from the key, and every way SMTP refuses."""

import time

import pytest

from notify.backends.base import Outgoing, SendFailure
from notify.backends.email import EmailBackend, message_id
from tests.fakes.smtp_server import SilentServer, SmtpServer, free_port

FROM = "泽州供热应急 <notify@zz-heat.example.cn>"


def mail(key="n14:u3:email", to="liaison@gaj.example.cn"):
    return Outgoing(key=key, channel="email", address=to, subject="Ⅰ级响应启动通知",
                    text="县公安局：Ⅰ级响应已启动，请确认收到。")


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def backend(port, **options):
    return EmailBackend(host="127.0.0.1", port=port, from_email=FROM,
                        timeout=options.pop("timeout", 3), **options)


def failure(sender, outgoing):
    with pytest.raises(SendFailure) as raised:
        sender.send(outgoing)
    return raised.value


def test_a_message_is_sent_with_a_message_id_from_its_key(smtp):
    handed = backend(smtp.port).send(mail())
    [received] = smtp.messages
    assert received["Subject"] == "Ⅰ级响应启动通知"
    assert received["To"] == "liaison@gaj.example.cn"
    assert "notify@zz-heat.example.cn" in received["From"]
    assert received.get_content().strip() == "县公安局：Ⅰ级响应已启动，请确认收到。"
    assert received["Message-ID"] == handed.provider_ref == "<notify.n14-u3-email@zz-heat.example.cn>"


def test_a_resend_carries_the_same_message_id(smtp):
    sender = backend(smtp.port)
    first, again = sender.send(mail()), sender.send(mail())
    assert first.provider_ref == again.provider_ref
    assert smtp.messages[0]["Message-ID"] == smtp.messages[1]["Message-ID"]
    assert message_id("a b<c>@d", "x.cn") == "<notify.a-b-c--d@x.cn>"


def test_one_connection_carries_several_messages(smtp):
    sender = backend(smtp.port)
    for n in range(3):
        sender.send(mail(key=f"k{n}"))
    assert len(smtp.messages) == 3
    sender.close()
    sender.send(mail(key="after-close"))  # opened again
    assert len(smtp.messages) == 4


def test_a_refused_recipient_is_permanent(smtp):
    smtp.refuse["nobody@gaj.example.cn"] = "550 5.1.1 Mailbox does not exist"
    sender = backend(smtp.port)
    refused = failure(sender, mail(to="nobody@gaj.example.cn"))
    assert (refused.code, refused.temporary) == ("550", False)
    assert "Mailbox does not exist" in str(refused)
    sender.send(mail())  # the connection is still good for the next one
    assert len(smtp.messages) == 1


def test_a_busy_server_is_temporary_and_the_next_try_reconnects(smtp):
    smtp.mode = "busy"
    sender = backend(smtp.port)
    busy = failure(sender, mail())
    assert (busy.code, busy.temporary) == ("421", True)
    smtp.mode = "ok"
    sender.send(mail())
    assert len(smtp.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_login_is_given_and_a_wrong_one_is_permanent():
    with SmtpServer(login=("notify", "right")) as smtp:
        backend(smtp.port, username="notify", password="right").send(mail())
        assert len(smtp.messages) == 1
        wrong = failure(backend(smtp.port, username="notify", password="wrong"), mail())
        assert (wrong.code, wrong.temporary) == ("535", False)


def test_a_server_that_is_down_is_temporary():
    refused = failure(backend(free_port()), mail())
    assert (refused.code, refused.temporary) == ("unreachable", True)


def test_a_server_that_hangs_times_out_temporarily():
    with SilentServer() as silent:
        started = time.monotonic()
        hung = failure(backend(silent.port, timeout=0.5), mail())
    assert hung.temporary
    assert time.monotonic() - started < 3


def test_options_are_checked():
    with pytest.raises(ValueError):
        EmailBackend(from_email="no address")
    with pytest.raises(ValueError):
        EmailBackend(from_email="a@b.cn", use_tls=True, use_ssl=True)


@pytest.mark.filterwarnings("ignore:.*found in sys.modules:RuntimeWarning")  # runpy, harmless
def test_a_county_sets_its_smtp_server_in_the_environment(monkeypatch, smtp):
    import runpy

    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string

    monkeypatch.setenv("NOTIFY_EMAIL_HOST", "127.0.0.1")
    with pytest.raises(ImproperlyConfigured, match="NOTIFY_EMAIL_FROM"):
        runpy.run_module("zezhou_heat.settings.base")
    monkeypatch.setenv("NOTIFY_EMAIL_PORT", str(smtp.port))
    monkeypatch.setenv("NOTIFY_EMAIL_FROM", "notify@zz-heat.example.cn")
    config = runpy.run_module("zezhou_heat.settings.base")["NOTIFY_BACKENDS"]["email"]
    import_string(config["BACKEND"])(**config["OPTIONS"]).send(mail())
    assert len(smtp.messages) == 1
