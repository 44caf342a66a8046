"""Who may see and who may edit the directory and the duty roster, for every position,
through the page and through the API (both call the same services)."""

import pytest

from directory.choices import PositionCode
from directory.models import Person, Unit
from timeline.models import Event

pytestmark = pytest.mark.django_db

MANAGERS = {PositionCode.ADMINISTRATOR, PositionCode.OFFICE_DIRECTOR}
READ_PAGES = ["/directory/", "/directory/roster/", "/directory/units/gaj/",
              "/directory/export.csv", "/directory/export.xlsx"]
READ_API = ["/api/directory/units/", "/api/directory/task-groups/", "/api/directory/people/",
            "/api/directory/shifts/on-duty/", "/api/timeline/events/"]


@pytest.mark.parametrize("position", list(PositionCode))
def test_every_position_reads_the_directory(client_as, position):
    client, _user = client_as(position)
    for url in READ_PAGES + READ_API:
        assert client.get(url).status_code == 200, url


def test_an_account_without_a_position_reads_nothing(client_as):
    client, _user = client_as(None)
    for url in READ_PAGES + READ_API:
        assert client.get(url).status_code == 403, url


def test_anonymous_is_sent_to_the_login_page(client, plan):
    response = client.get("/directory/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/api/directory/people/").status_code in (401, 403)


def person_form(**overrides):
    unit = Unit.objects.get(code="gaj")
    data = {"unit": unit.pk, "name": "李新", "title": "科员", "mobile": "13912345678",
            "office_phone": "0356-2021001"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("position", list(PositionCode))
def test_only_administrators_and_the_office_director_add_people_on_the_page(client_as, position):
    client, _user = client_as(position)
    before = Event.objects.count()
    response = client.post("/directory/people/new/", person_form())
    if position in MANAGERS:
        assert response.status_code == 302
        person = Person.objects.get(name="李新")
        assert Event.objects.filter(kind="directory.person.created",
                                    subject_id=str(person.pk)).exists()
    else:
        assert response.status_code == 403
        assert not Person.objects.filter(name="李新").exists()
        assert Event.objects.count() == before


@pytest.mark.parametrize("position", list(PositionCode))
def test_only_administrators_and_the_office_director_add_people_by_api(client_as, position):
    client, _user = client_as(position)
    response = client.post("/api/directory/people/", {
        "unit": "gaj", "name": "李新", "mobile": "13912345678", "positions": ["unit_liaison"]},
        content_type="application/json")
    if position in MANAGERS:
        assert response.status_code == 201, response.content
        assert response.json()["holdings"] == [
            {"position": "unit_liaison", "position_name": "成员单位联络员", "unit": "gaj"}]
    else:
        assert response.status_code == 403
        assert not Person.objects.filter(name="李新").exists()


@pytest.mark.parametrize("position", list(PositionCode))
def test_only_managers_schedule_shifts(client_as, position):
    client, _user = client_as(position)
    person = Person.objects.create(name="值班人", unit=Unit.objects.get(code="gaj"))
    response = client.post("/directory/roster/shifts/", {
        "unit": person.unit.pk, "person": person.pk,
        "starts_at": "2026-12-01T08:30", "ends_at": "2026-12-02T08:30"})
    assert response.status_code == (302 if position in MANAGERS else 403)
    assert person.shifts.exists() is (position in MANAGERS)
