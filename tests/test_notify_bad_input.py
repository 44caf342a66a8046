"""A hurried or hostile input to issue 14's new addresses is a clear refusal, never a 500:
the one-tap link with a malformed code, the delivery board's filters, and a gateway push
whose entries carry control characters (NUL, which PostgreSQL refuses in any text) or dates
that are no dates."""

import json

import pytest

from directory.choices import PositionCode
from notify.models import ChannelAddress, IncomingReply, RecipientRule
from timeline.models import Event

pytestmark = pytest.mark.django_db

TOKEN = "p" * 40

@pytest.mark.parametrize("code", ["%00abc", "a" * 5000, "ÿ", "..%2F..", "K7Q2M9XJ4P%0A"])
def test_a_malformed_link_code_is_not_found(client, plan, code):
    assert client.get(f"/a/{code}").status_code in (400, 404)
    assert client.post(f"/a/{code}").status_code in (400, 403, 404)

BOARD_QUERIES = ["incident=%00", "minutes=abc", "minutes=99999999999999999999", "show=xx",
                 "unit=999999", "channel=<b>", "incident=1e5", "kind=%0A", "warning=-1",
                 "page=%00", "incident=²"]
PUSHES = ["not json", "[]", '{"a": 1}', '[{"phone_number": null}]',
          '[{"biz_id": "\\u0000", "success": "x", "report_time": "2026-13-45 99:99:99"}]',
          '[{"content": "\\u0000", "phone_number": "1", "send_time": "garbage"}]']


@pytest.mark.parametrize("query", BOARD_QUERIES)
def test_a_malformed_board_filter_is_refused_or_ignored(client, make_user, query):
    client.force_login(make_user(PositionCode.OFFICE_DIRECTOR))
    for url in ("/notify/deliveries/", "/notify/deliveries/export.xlsx"):
        answer = client.get(f"{url}?{query}")
        assert answer.status_code in (200, 400), (url, query, answer.status_code)

@pytest.mark.parametrize("body", PUSHES)
def test_a_malformed_gateway_push_records_nothing(client, settings, plan, body):
    settings.ALIYUN_SMS_CALLBACK_TOKEN = TOKEN
    settings.ALIYUN_SMS_CALLBACK_NETWORKS = []
    for kind in ("report", "up"):
        answer = client.post(f"/notify/gateway/aliyun/{TOKEN}/{kind}/", body, content_type="application/json")
        assert answer.status_code in (200, 400), answer.status_code
    assert not IncomingReply.objects.exists()


# --- who receives what, as an administrator writes it in the admin ----------------------------


@pytest.fixture
def administrator(client_as):
    client, _user = client_as("administrator", is_staff=True)
    return client


def rule_posted(client, rule, **changes):
    values = {"kind": rule.kind, "audience": rule.audience, "channels": json.dumps(rule.channels),
              "levels": json.dumps(rule.levels), "active": "on", "order": rule.order, **changes}
    return client.post(f"/admin/notify/recipientrule/{rule.pk}/change/", values,
                       HTTP_ACCEPT_LANGUAGE="zh-hans")


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "written", "says"), [
    ("channels", '"sms"', "请写成列表"),  # a string, not a list: each letter would be a channel
    ("channels", '["sms", "fax"]', "fax"),
    ("channels", '["sms", "sms"]', "只能出现一次"),
    ("channels", "[]", "必填"),
    ("levels", '["huge"]', "huge"),
])
def test_a_recipient_rule_written_wrong_is_refused_by_field_and_kept_as_it_was(
        administrator, field, written, says):
    rule = RecipientRule.objects.filter(kind="activation").first()
    before = (rule.channels, rule.levels)
    events = Event.objects.count()
    answer = rule_posted(administrator, rule, **{field: written})
    assert answer.status_code == 200  # the form again, with the error under the field
    html = answer.content.decode()
    assert f"field-{field}" in html and says in html
    rule.refresh_from_db()
    assert (rule.channels, rule.levels) == before
    assert Event.objects.count() == events  # nothing half saved


@pytest.mark.django_db
def test_a_channel_address_with_a_control_character_is_refused(administrator, make_user):
    person = make_user("unit_liaison", unit_code="gaj").person
    answer = administrator.post("/admin/notify/channeladdress/add/", {
        "person": person.pk, "channel": "wecom", "address": "wx\x00id"},
        HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 200
    assert not ChannelAddress.objects.exists()


@pytest.mark.django_db
def test_a_recipient_rule_written_right_is_saved_and_on_the_timeline(administrator):
    rule = RecipientRule.objects.filter(kind="activation").first()
    answer = rule_posted(administrator, rule, channels='["wecom", "sms"]')
    assert answer.status_code == 302
    rule.refresh_from_db()
    assert rule.channels == ["wecom", "sms"]
    assert Event.objects.filter(kind="notify.rule.updated", subject_id=str(rule.pk)).exists()
