"""A hurried or hostile input to issue 14's new addresses is a clear refusal, never a 500:
the one-tap link with a malformed code, the delivery board's filters, and a gateway push
whose entries carry control characters (NUL, which PostgreSQL refuses in any text) or dates
that are no dates."""

import pytest

from directory.choices import PositionCode
from notify.models import IncomingReply

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
