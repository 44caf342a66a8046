"""Administrators edit the directory in the Django admin; the edits go through the same
services, so they land on the timeline."""

import pytest

from directory.models import Unit
from timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_as):
    client, user = client_as("administrator", is_staff=True)
    return client, user


def test_administrator_sees_the_directory_in_the_admin(admin_client):
    client, _ = admin_client
    html = client.get("/admin/").content.decode()
    for label in ("人员", "单位", "工作组", "值班班次", "岗位"):
        assert label in html


def test_a_unit_edited_in_the_admin_is_on_the_timeline(admin_client):
    client, user = admin_client
    unit = Unit.objects.get(code="gaj")
    old_phone = unit.duty_phone
    response = client.post(f"/admin/directory/unit/{unit.pk}/change/", {
        "code": unit.code, "name": unit.name, "short_name": unit.short_name, "kind": unit.kind,
        "duty_phone": "0356-2022110", "duties": '["维护现场秩序"]', "plan_section": "2.3",
        "order": unit.order})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(kind="directory.unit.updated", actor=user)
    assert event.old["duty_phone"] == old_phone and event.new["duty_phone"] == "0356-2022110"


def test_positions_and_their_authority_are_read_only_in_the_admin(admin_client):
    client, _ = admin_client
    assert client.get("/admin/directory/position/").status_code == 200
    assert client.get("/admin/directory/position/add/").status_code == 403


def test_a_staff_account_without_the_administrator_position_cannot_edit(client_as):
    client, _ = client_as("duty_officer", is_staff=True)
    unit = Unit.objects.get(code="gaj")
    assert client.get("/admin/directory/unit/add/").status_code == 403
    assert client.post(f"/admin/directory/unit/{unit.pk}/change/",
                       {"duty_phone": "0356-2022110"}).status_code == 403
    assert client.get("/admin/directory/person/").status_code == 403
    assert Unit.objects.get(code="gaj").duty_phone == unit.duty_phone
