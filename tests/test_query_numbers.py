"""Numbers a page reads from its address (`?seq=` of the live panels, `?decided=` of the
decisions inbox) are typed by screens and people: anything that is not a plain number in
range is ignored, never a server error."""

import pytest

from directory.choices import PositionCode

pytestmark = pytest.mark.django_db

NOT_NUMBERS = ["²", "١٢", "-1", " 7", "1e3", "99999999999999999999", ""]


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_live_panels_ignore_a_seq_that_is_not_a_number(client, make_user, value):
    client.force_login(make_user(PositionCode.DUTY_OFFICER))
    answer = client.get("/command/", {"panels": "1", "seq": value})
    assert answer.status_code == 200
    assert 'data-panels-seq="' in answer.content.decode()


@pytest.mark.parametrize("value", NOT_NUMBERS)
def test_the_inbox_ignores_a_decided_item_that_is_not_a_number(client, make_user, value):
    client.force_login(make_user(PositionCode.COMMANDER))
    for kind in ("response", "warning"):
        answer = client.get("/response/inbox/", {"decided": f"{kind}-{value}"})
        assert answer.status_code == 200
        assert "decided-card" not in answer.content.decode()


def test_a_control_character_in_the_address_is_refused_as_bad_input(client, make_user):
    client.force_login(make_user(PositionCode.DUTY_OFFICER))
    assert client.get("/command/", {"panels": "1", "seq": "12\x00"}).status_code == 400
    assert client.get("/response/inbox/", {"decided": "response-1\x00"}).status_code == 400
