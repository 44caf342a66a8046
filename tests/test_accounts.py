"""Accounts and leadership positions, kept by the administrator through the services: no
path to the superuser flag below a superuser, no leader's password set by the administrator,
no leadership position granted by its holder or to oneself, every change on the timeline."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from directory import services
from directory.models import Person, Position, PositionHolding
from tests.conftest import PASSWORD
from tests.test_directory_import import workbook
from timeline.models import Event, Notification

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "another-passw0rd-2026"


@pytest.fixture
def admin_client(client_as):
    return client_as("administrator", is_staff=True)


def change_form(user, **overrides):
    """Everything Django's stock user change form posts, flags included: what a hostile
    administrator sends whatever the page shows."""
    data = {"username": user.username, "first_name": "", "last_name": "", "email": "",
            "is_active": "on", "is_staff": "on", "is_superuser": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
            "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "08:00:00",
            "last_login_0": "", "last_login_1": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_administrator_cannot_make_himself_superuser_in_the_admin(admin_client):
    client, admin = admin_client
    assert client.get("/admin/auth/user/").status_code == 200
    page = client.get(f"/admin/auth/user/{admin.pk}/change/")
    assert page.status_code == 200
    page = page.content.decode()
    assert 'name="username"' in page  # the real change form, without the flags
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page
    answer = client.post(f"/admin/auth/user/{admin.pk}/change/",
                         change_form(admin, first_name="管理"))
    assert answer.status_code == 302
    admin.refresh_from_db()
    assert admin.first_name == "管理" and not admin.is_superuser  # saved, but not the flag
    assert client.get("/api/incidents/").status_code == 403  # still reads no incidents
    events = Event.objects.filter(kind__startswith="auth.account.")
    assert events.exists()
    for event in events:
        assert "is_superuser" not in (event.new or {})


def test_the_account_service_refuses_the_flags_below_a_superuser(make_user):
    admin = make_user("administrator", is_staff=True)
    duty = make_user("duty_officer")
    duty.is_staff = True
    with pytest.raises(PermissionDenied):
        services.account_saved(actor=admin, account=duty)
    duty.refresh_from_db()
    assert not duty.is_staff and not Event.objects.filter(kind="auth.account.updated").exists()


def test_the_administrator_cannot_set_the_commanders_password(admin_client, make_user):
    client, _admin = admin_client
    commander = make_user("commander")
    response = client.post(f"/admin/auth/user/{commander.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 403
    commander.refresh_from_db()
    assert commander.check_password(PASSWORD) and not commander.check_password(NEW_PASSWORD)
    assert not Event.objects.filter(kind="auth.password_reset").exists()
    # Nor deactivate it.
    response = client.post(f"/admin/auth/user/{commander.pk}/change/",
                           change_form(commander, is_active=None, is_staff=None,
                                       is_superuser=None))
    assert response.status_code == 403
    commander.refresh_from_db()
    assert commander.is_active


def test_a_superusers_password_reset_of_the_commander_is_on_the_timeline(client, make_user):
    root = User.objects.create_superuser("root", password=PASSWORD)
    commander = make_user("commander")
    client.force_login(root)
    response = client.post(f"/admin/auth/user/{commander.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    commander.refresh_from_db()
    assert commander.check_password(NEW_PASSWORD)
    event = Event.objects.get(kind="auth.password_reset")
    assert event.actor == root and event.subject_id == str(commander.pk)
    assert event.new == {"username": commander.username, "usable": True, "leadership": True}
    assert Notification.objects.filter(event=event, recipient=commander).exists()


def test_the_administrator_resets_an_ordinary_password_on_the_timeline(admin_client, make_user):
    client, admin = admin_client
    duty = make_user("duty_officer")
    response = client.post(f"/admin/auth/user/{duty.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302
    duty.refresh_from_db()
    assert duty.check_password(NEW_PASSWORD)
    event = Event.objects.get(kind="auth.password_reset")
    assert event.actor == admin and event.new["leadership"] is False
    assert NEW_PASSWORD not in str(event.new) and duty.password not in str(event.new)
    assert Notification.objects.filter(event=event, recipient=duty).exists()


def test_the_administrator_cannot_change_a_superuser_or_another_administrator(admin_client,
                                                                              make_user):
    client, _admin = admin_client
    root = User.objects.create_superuser("root", password=PASSWORD)
    other_admin = make_user("administrator", is_staff=True)
    for account in (root, other_admin):
        response = client.post(f"/admin/auth/user/{account.pk}/password/", {
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
        assert response.status_code == 403
        account.refresh_from_db()
        assert account.check_password(PASSWORD)


def test_accounts_created_and_deactivated_in_the_admin_are_on_the_timeline(admin_client,
                                                                           make_user):
    client, admin = admin_client
    response = client.post("/admin/auth/user/add/", {
        "username": "newcomer", "usable_password": "true",
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Event.objects.get(kind="auth.account.created")
    assert created.actor == admin and created.new == {"username": "newcomer", "is_active": True}

    duty = make_user("duty_officer")
    response = client.post(f"/admin/auth/user/{duty.pk}/change/",
                           change_form(duty, is_active=None))
    assert response.status_code == 302
    duty.refresh_from_db()
    assert not duty.is_active and not duty.is_staff and not duty.is_superuser
    updated = Event.objects.get(kind="auth.account.updated")
    assert updated.old == {"is_active": True} and updated.new == {"is_active": False}


# --- leadership positions ------------------------------------------------------------------


def position(code):
    return Position.objects.get(code=code)


def holds(user, code):
    return PositionHolding.objects.filter(person__user=user, position__code=code).exists()


def test_the_office_director_cannot_make_himself_commander_on_the_page(client_as):
    client, director = client_as("office_director")
    me = director.person
    before = Event.objects.count()
    response = client.post(f"/directory/people/{me.pk}/edit/", {
        "unit": me.unit_id, "name": me.name, "mobile": me.mobile,
        "positions": [position("office_director").pk, position("commander").pk]})
    assert response.status_code == 403
    assert not holds(director, "commander") and Event.objects.count() == before


def test_the_office_director_cannot_make_himself_commander_by_api(client_as):
    client, director = client_as("office_director")
    response = client.patch(f"/api/directory/people/{director.person.pk}/",
                            {"positions": ["office_director", "commander"]},
                            content_type="application/json")
    assert response.status_code == 403
    assert not holds(director, "commander")


def test_the_office_director_appoints_no_leader_even_another_person(client_as, make_user):
    client, _director = client_as("office_director")
    duty = make_user("duty_officer")
    response = client.patch(f"/api/directory/people/{duty.person.pk}/",
                            {"positions": ["duty_officer", "deputy_commander"]},
                            content_type="application/json")
    assert response.status_code == 403
    assert not holds(duty, "deputy_commander")
    # Ordinary positions are still his to give.
    response = client.patch(f"/api/directory/people/{duty.person.pk}/",
                            {"positions": ["duty_officer", "unit_liaison"]},
                            content_type="application/json")
    assert response.status_code == 200


def test_the_office_director_cannot_import_himself_commander(client_as):
    client, director = client_as("office_director")
    me = director.person
    row = [me.unit.name, me.name, "", "指挥部办公室主任、指挥长", me.mobile, ""]
    assert client.post("/directory/import/", {"file": workbook([row])}).status_code == 200
    assert client.post("/directory/import/confirm/").status_code == 403
    assert not holds(director, "commander")


def test_the_administrator_appoints_a_commander_on_the_timeline(client_as, make_user):
    client, admin = client_as("administrator")
    duty = make_user("duty_officer")
    response = client.patch(f"/api/directory/people/{duty.person.pk}/",
                            {"positions": ["commander"]}, content_type="application/json")
    assert response.status_code == 200
    assert holds(duty, "commander")
    assert Event.objects.filter(kind="directory.holding.created", actor=admin,
                                new__position="指挥长").exists()


def test_the_administrator_cannot_make_himself_commander_in_the_admin(admin_client, make_user):
    client, admin = admin_client
    me = admin.person
    response = client.post(f"/admin/directory/person/{me.pk}/change/", {
        "unit": me.unit_id, "name": me.name, "title": "", "mobile": me.mobile,
        "office_phone": "", "user": admin.pk,
        "holdings-TOTAL_FORMS": "1", "holdings-INITIAL_FORMS": "0",
        "holdings-MIN_NUM_FORMS": "0", "holdings-MAX_NUM_FORMS": "1000",
        "holdings-0-position": position("commander").pk, "holdings-0-unit": ""})
    assert response.status_code == 403
    assert not holds(admin, "commander")
    # Nor by linking an account whose password he knows to the commander's directory entry.
    commander = make_user("commander")
    entry = Person.objects.get(user=commander)
    mine = User.objects.create_user("spare", password=PASSWORD)
    response = client.post(f"/admin/directory/person/{entry.pk}/change/", {
        "unit": entry.unit_id, "name": entry.name, "title": "", "mobile": entry.mobile,
        "office_phone": "", "user": mine.pk,
        "holdings-TOTAL_FORMS": "0", "holdings-INITIAL_FORMS": "0",
        "holdings-MIN_NUM_FORMS": "0", "holdings-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 403
    assert Person.objects.get(pk=entry.pk).user == commander
