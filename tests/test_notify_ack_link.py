"""Acknowledging an activation notice without logging in (notify.ack_links): the one-tap link
in a message and the SMS reply with its code. Both call the same service as the 确认收到 button
with the person's account as actor; the link acts once, for its notice and person only, and
dies with its notice."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation
from playwright.sync_api import expect

from directory.choices import PositionCode
from notify import ack_links
from notify.models import AckLink, AckLinkMiss
from response import services
from response.models import Notice
from tests.incident_helpers import report_incident
from timeline.models import Event
from timeline.sentences import line

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def notice(make_user):
    duty, deputy = make_user(P.DUTY_OFFICER), make_user(P.DEPUTY_COMMANDER)
    incident = report_incident(duty)
    response = services.response_proposed(actor=duty, incident=incident, level="II",
                                          reason="需要")
    services.response_approved(actor=deputy, response=response)
    return Notice.objects.get(response=response, unit__code="gaj")


@pytest.fixture
def liaison(make_user):
    return make_user(P.UNIT_LIAISON, unit_code="gaj")


def link(notice, user):
    url = ack_links.link_for(notice, user.person)
    assert url
    return url.removeprefix("http://127.0.0.1:8000")


def acknowledged(notice):
    notice.refresh_from_db()
    return notice.acknowledged_at is not None


# --- the link itself -------------------------------------------------------------------------


def test_the_link_is_short_and_only_its_hmac_is_stored(notice, liaison):
    url = ack_links.link_for(notice, liaison.person)
    assert url.startswith("http://127.0.0.1:8000/a/") and len(url) == len("http://127.0.0.1:8000/a/") + 10
    code = ack_links.code_of(url)
    stored = AckLink.objects.get()
    assert code not in f"{stored.salt} {stored.digest}" and stored.digest == ack_links.digest(code)
    assert (stored.notice, stored.person) == (notice, liaison.person)
    assert ack_links.link_for(notice, liaison.person) == url  # a retry carries the same link
    assert AckLink.objects.count() == 1
    assert ack_links.normalised(code.upper().replace("1", "l").replace("0", "o")) == code


def test_no_link_for_someone_who_could_not_acknowledge(notice, make_user):
    fire_liaison = make_user(P.UNIT_LIAISON, unit_code="fire")
    director = make_user(P.OFFICE_DIRECTOR)
    assert ack_links.link_for(notice, fire_liaison.person) == ""
    assert ack_links.link_for(notice, director.person) == ""
    assert not AckLink.objects.exists()


def test_get_shows_the_notice_and_does_not_acknowledge(client, notice, liaison):
    page = client.get(link(notice, liaison))
    html = page.content.decode()
    assert page.status_code == 200
    assert f"#{notice.response.incident_id}" in html and "南村镇" in html
    assert "Ⅱ级" in html and "县公安局" in html and "确认收到" in html
    client.get(link(notice, liaison), HTTP_USER_AGENT="WeChat link preview")
    assert client.get(link(notice, liaison) + "/").status_code == 200  # as some phones pass it
    assert not acknowledged(notice)


def test_tapping_acknowledges_once_as_the_person(client, notice, liaison):
    url = link(notice, liaison)
    done = client.post(url)
    assert done.status_code == 200 and "已确认收到" in done.content.decode()
    notice.refresh_from_db()
    assert notice.acknowledged_by == liaison
    assert AckLink.objects.get().used_at is not None
    event = Event.objects.get(kind="notice.acknowledged")
    assert event.actor == liaison and event.new["via"] == "link"
    with translation.override("zh-hans"):
        assert "通过消息中的链接" in line(event)
    again = client.post(url)
    html = again.content.decode()
    assert again.status_code == 409
    assert "已由" in html and liaison.person.name in html and "确认收到" in html
    assert "<button" not in html.split("<main>")[1]
    assert Event.objects.filter(kind="notice.acknowledged").count() == 1


def test_acknowledged_elsewhere_the_link_says_by_whom_and_when(client, notice, liaison,
                                                               make_user):
    url = link(notice, liaison)
    other = make_user(P.UNIT_LIAISON, unit_code="gaj")
    services.notice_acknowledged(actor=other, notice=notice)
    html = client.get(url).content.decode()
    assert other.person.name in html
    assert timezone.localtime(Notice.objects.get(pk=notice.pk).acknowledged_at).strftime(
        "%H:%M") in html
    assert client.post(url).status_code == 409


def test_an_expired_link_acknowledges_nothing(client, notice, liaison):
    url = link(notice, liaison)
    AckLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert "已过期" in client.get(url).content.decode()
    refused = client.post(url)
    assert refused.status_code == 409 and "已过期" in refused.content.decode()
    assert not acknowledged(notice)


def test_the_link_dies_when_the_response_ends(client, notice, liaison, make_user):
    from incidents import clocks

    url = link(notice, liaison)
    clocks.settle(type(notice.deadline).objects.filter(pk=notice.deadline_id), timezone.now())
    html = client.get(url).content.decode()
    assert "不再需要确认" in html and "<button" not in html.split("<main>")[1]
    assert client.post(url).status_code == 409
    assert not acknowledged(notice)


def test_unknown_and_tampered_codes_reveal_nothing(client, notice, liaison):
    url = link(notice, liaison)
    code = ack_links.code_of(url)
    tampered = code[:-1] + ("2" if code[-1] != "2" else "3")
    for path in (f"/a/{tampered}", "/a/zzzzzzzzzz", "/a/short", "/a/" + "x" * 300,
                 f"/a/{code}x", f"/a/{code[:9]}"):
        for method in (client.get, client.post):
            answer = method(path)
            html = answer.content.decode()
            assert answer.status_code == 404, path
            assert "链接无效" in html and "县公安局" not in html and "南村镇" not in html
    control = client.post(f"/a/{code}%00")  # the project's rule: a control character is a 400
    assert control.status_code == 400 and "县公安局" not in control.content.decode()
    assert not acknowledged(notice)


def test_another_notice_s_code_does_not_act_on_this_one(client, notice, liaison, make_user):
    other_liaison = make_user(P.UNIT_LIAISON, unit_code="fire")
    other_notice = Notice.objects.get(response=notice.response, unit__code="fire")
    url = link(other_notice, other_liaison)
    client.post(url)
    assert acknowledged(other_notice) and not acknowledged(notice)
    assert Notice.objects.get(pk=other_notice.pk).acknowledged_by == other_liaison


def test_a_person_who_lost_the_position_is_refused(client, notice, liaison):
    url = link(notice, liaison)
    liaison.person.holdings.all().delete()
    refused = client.post(url)
    assert refused.status_code == 403 and "县公安局" in refused.content.decode()
    assert not acknowledged(notice)


@override_settings(NOTIFY_ACK_LINK_MISSES=3)
def test_guessing_is_limited_per_address(client, notice, liaison):
    url = link(notice, liaison)
    for guess in ("aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"):
        assert client.get(f"/a/{guess}").status_code == 404
    limited = client.get(url)  # even a good code, from this address, for now
    assert limited.status_code == 429 and "尝试次数过多" in limited.content.decode()
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200  # another address
    AckLinkMiss.objects.update(at=timezone.now() - timedelta(minutes=16))
    assert client.get(url).status_code == 200


def test_the_page_in_english(client, notice, liaison):
    client.cookies["django_language"] = "en"
    html = client.get(link(notice, liaison), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Acknowledge receipt" in html


# --- the SMS reply ---------------------------------------------------------------------------


def test_a_reply_with_the_code_acknowledges(notice, liaison):
    code = ack_links.code_of(ack_links.link_for(notice, liaison.person))
    acknowledged_notice = ack_links.acknowledge_by_reply(f"+86 {liaison.person.mobile}",
                                                         f"收到 {code.upper()}")
    assert acknowledged_notice.pk == notice.pk
    notice.refresh_from_db()
    assert notice.acknowledged_by == liaison
    event = Event.objects.get(kind="notice.acknowledged")
    assert event.new["via"] == "reply"
    with translation.override("zh-hans"):
        assert "短信回复" in line(event)
    assert ack_links.acknowledge_by_reply(liaison.person.mobile, code) is None  # once


def test_a_reply_from_another_number_or_without_the_code_does_nothing(notice, liaison, make_user):
    code = ack_links.code_of(ack_links.link_for(notice, liaison.person))
    other = make_user(P.UNIT_LIAISON, unit_code="gaj")
    assert ack_links.acknowledge_by_reply(other.person.mobile, code) is None
    assert ack_links.acknowledge_by_reply("13999999999", code) is None
    assert ack_links.acknowledge_by_reply(liaison.person.mobile, "收到") is None
    assert ack_links.acknowledge_by_reply(liaison.person.mobile, f"x{code}") is None
    assert not acknowledged(notice)


def test_numbers_are_masked_in_logs(notice, liaison, caplog):
    caplog.set_level("INFO", logger="notify.ack_links")
    ack_links.acknowledge_by_reply("13812345678", "收到")
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text


# --- on a phone --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_one_tap_acknowledges(browser, live_server, notice, liaison):
    from tests.test_phone_browser import PHONE, too_wide

    url = ack_links.link_for(notice, liaison.person).replace("http://127.0.0.1:8000",
                                                             live_server.url)
    context = browser.new_context(viewport=PHONE, has_touch=True)
    page = context.new_page()
    page.goto(url)
    button = page.get_by_role("button", name="确认收到")
    expect(button).to_be_visible()
    assert not acknowledged(notice)  # the page was opened, nothing acknowledged
    assert too_wide(page)["scroll"] <= PHONE["width"]
    assert button.bounding_box()["height"] >= 44  # a thumb's target
    button.tap()
    expect(page.locator(".ack-result")).to_contain_text("已确认收到")
    assert too_wide(page)["scroll"] <= PHONE["width"]
    assert acknowledged(notice)
    page.goto(url)
    expect(page.locator(".ack-result")).to_contain_text("已由")
    context.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_taps_at_the_same_moment_acknowledge_once(notice, liaison):
    import threading

    from django.db import connection

    from zezhou_heat.errors import StateConflict

    code = ack_links.code_of(ack_links.link_for(notice, liaison.person))
    start, results = threading.Barrier(2), []

    def tap():
        try:
            start.wait()
            ack_links.acknowledged_by_link(link=ack_links.find(code))
            results.append("acknowledged")
        except StateConflict:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["acknowledged", "refused"]
    assert Event.objects.filter(kind="notice.acknowledged").count() == 1
