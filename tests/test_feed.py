
"""A feed for people: many units' notice clocks falling overdue on one incident read as one
line naming the units (live frames and the notifications page alike), routine administration
stays off the live feed, and a unit's liaisons hear of their own overdue acknowledgement."""
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from command_room.frames import ROUTINE, frames_of, routine
from directory.choices import PositionCode
from directory.models import Unit
from directory.services import directory_object_saved
from incidents.clocks import deadline_checked, sweep_deadlines
from incidents.models import Deadline
from response import services
from tests.incident_helpers import report_incident
from timeline.kinds import KINDS
from timeline.models import Event, Notification

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def office(make_user):
    return {p: make_user(p) for p in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR, P.COMMANDER)}


def level_one(office, **incident):
    """A Level Ⅰ response: all eight task groups, a notice (and its clock) to each unit."""
    reported = report_incident(office[P.DUTY_OFFICER], **incident)
    return services.response_started_directly(actor=office[P.COMMANDER], incident=reported,
                                              level="I", reason="万户停暖")


def minutes_later(minutes):
    return timezone.now() + timedelta(minutes=minutes)


def overdue_frames(**filters):
    return frames_of(Event.objects.filter(kind="deadline.overdue", **filters).order_by("seq"))


# --- the clocks: owed by a unit, named in the event, told to its liaisons -------------------


def test_a_notice_clock_is_owed_by_its_unit_and_its_events_name_it(office):
    response = level_one(office)
    for notice in response.notices.select_related("deadline", "unit"):
        assert notice.deadline.unit == notice.unit
    assert not Deadline.objects.filter(kind="written_report", unit__isnull=False).exists()
    sweep_deadlines(minutes_later(16))
    gaj = response.notices.get(unit__code="gaj")
    overdue = Event.objects.get(kind="deadline.overdue", subject_id=str(gaj.deadline_id))
    assert overdue.new["unit"] == "县公安局"


def test_the_liaisons_of_the_unit_hear_of_their_overdue_acknowledgement_once(office, make_user):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    second_liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    other_unit = make_user(P.UNIT_LIAISON, unit_code="fire")
    response = level_one(office)
    gaj_clock = response.notices.get(unit__code="gaj").deadline
    later = minutes_later(16)
    sweep_deadlines(later)
    deadline_checked(gaj_clock.pk)  # the fast path comes after the sweep: nothing more
    sweep_deadlines(later)

    told = Notification.objects.filter(event__kind="deadline.overdue")
    for user in (liaison, second_liaison):
        mine = told.filter(recipient=user)
        assert [n.event.subject_id for n in mine] == [str(gaj_clock.pk)]
    assert [n.event.new["unit"] for n in told.filter(recipient=other_unit)] == ["县消防救援大队"]
    # the office still hears of every unit's clock
    assert told.filter(recipient=office[P.OFFICE_DIRECTOR]).count() == response.notices.count()


def test_the_liaison_is_reminded_before_the_acknowledgement_falls_due(office, make_user):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    level_one(office)
    sweep_deadlines(minutes_later(6))
    reminded = Notification.objects.filter(recipient=liaison).select_related("event")
    assert [(n.event.kind, n.event.new["unit"]) for n in reminded] == [
        ("deadline.reminder", "县公安局")]


def test_an_inactive_liaison_is_not_told(office, make_user):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj", is_active=False)
    level_one(office)
    sweep_deadlines(minutes_later(16))
    assert not Notification.objects.filter(recipient=liaison).exists()


def test_the_liaison_sees_the_row_naming_their_unit_on_the_notifications_page(
        office, make_user, client):
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    level_one(office)
    sweep_deadlines(minutes_later(16))
    client.force_login(liaison)
    html = client.get("/notifications/").content.decode()
    assert "1个单位启动通知确认超时（县公安局）" in html


# --- one line for many units ------------------------------------------------------------------


def test_overdue_frames_of_one_incident_share_one_line_naming_each_unit(office):
    response = level_one(office)
    sweep_deadlines(minutes_later(16))
    frames = overdue_frames()
    units = set(response.notices.values_list("unit__short_name", flat=True))
    assert len(frames) == len(units) > 17
    assert {frame["group"]["key"] for frame in frames} == {
        f"deadline.overdue:notice_ack:{response.incident_id}"}
    assert {frame["group"]["unit"] for frame in frames} == units
    line = frames[0]["group"]["text"]
    township = response.incident.township
    assert line["zh-hans"] == {
        "one": f"#{response.incident_id} {township}：%(count)s个单位启动通知确认超时（%(units)s）",
        "other": f"#{response.incident_id} {township}：%(count)s个单位启动通知确认超时（%(units)s）"}
    assert line["en"] == {
        "one": f"#{response.incident_id} {township}: %(count)s unit overdue acknowledging the "
               "activation notice (%(units)s)",
        "other": f"#{response.incident_id} {township}: %(count)s units overdue acknowledging "
                 "the activation notice (%(units)s)"}
    assert all("mobile" not in str(frame["group"]) for frame in frames)


def test_lines_are_per_incident_and_per_kind_of_event(office, make_user):
    first = level_one(office)
    second = level_one(office)
    sweep_deadlines(minutes_later(6))   # reminders
    sweep_deadlines(minutes_later(16))  # overdue
    frames = frames_of(Event.objects.filter(kind__startswith="deadline.").order_by("seq"))
    keys = {frame["group"]["key"] for frame in frames if frame["group"]}
    assert keys == {f"deadline.{kind}:notice_ack:{response.incident_id}"
                    for kind in ("reminder", "overdue") for response in (first, second)}


def test_a_clock_nobody_else_shares_is_shown_alone(office):
    incident = report_incident(office[P.DUTY_OFFICER])
    sweep_deadlines(minutes_later(31))  # the written report, owed by the incident's office
    [frame] = overdue_frames(incident=incident)
    assert frame["group"] is None
    assert re.fullmatch(rf"#{incident.pk} {incident.township}：已超时：书面报告未在"
                        r"\d\d-\d\d \d\d:\d\d前提交", frame["text"]["zh-hans"])


# --- routine administration off the wall ------------------------------------------------------


def test_routine_administration_is_one_explicit_list():
    """Deciding for every declared kind: a new kind shows on the wall unless named here."""
    off_the_wall = {name for name in KINDS if routine(name)}
    assert off_the_wall == {
        *(name for name in KINDS if name.startswith(("directory.", "auth.",
                                                       "response.playbookitem.", "notify."))),
        "warning.drafted", "warning.draft_edited", "report.written_draft"}
    on_the_wall = set(KINDS) - off_the_wall
    assert {"incident.reported", "deadline.overdue", "response.started", "warning.submitted",
            "warning.issued", "notice.acknowledged", "checklist.updated"} <= on_the_wall
    assert routine("directory.holding.created")  # also a kind written before it was declared
    assert len(ROUTINE) == len(set(ROUTINE))


def test_a_directory_edit_reaches_the_screen_as_routine(admin_user_, office):
    unit = Unit.objects.get(code="gaj")
    unit.duty_phone = "0356-1234567"
    directory_object_saved(actor=admin_user_, instance=unit)
    [edit] = frames_of(Event.objects.filter(kind="directory.unit.updated"))
    assert edit["routine"] is True
    response = level_one(office)
    [started] = frames_of(Event.objects.filter(kind="response.started",
                                               incident=response.incident))
    assert started["routine"] is False


# --- the notifications page -------------------------------------------------------------------


def notification_rows(client, language="zh-hans"):
    client.cookies["django_language"] = language
    response = client.get("/notifications/")
    return response.context["rows"], response.content.decode()


def test_the_notifications_page_shows_a_few_rows_naming_units_and_counts(office, client):
    first = level_one(office)
    level_one(office, township=Unit.objects.get(code="tw_xiacun"))
    sweep_deadlines(minutes_later(6))
    sweep_deadlines(minutes_later(16))
    director = office[P.OFFICE_DIRECTOR]
    told = Notification.objects.filter(recipient=director).count()
    client.force_login(director)
    rows, html = notification_rows(client)
    units = first.notices.count()
    assert told >= 4 * units
    # per incident: one overdue row and one reminder row (the written reports are not due)
    texts = [row.text() for row in rows]
    overdue_line = f"{units}个单位启动通知确认超时（"
    assert sum(1 for text in texts if text and text.startswith(overdue_line)) == 2
    assert sum(1 for text in texts if text and "剩余10分钟" in text) == 2
    assert len(rows) == 4
    for name in first.notices.values_list("unit__short_name", flat=True):
        assert name in texts[0]
    assert html.count(overdue_line) == 2
    assert "县公安局、" in html or "、县公安局" in html

    rows, html = notification_rows(client, "en")
    assert f"{units} units overdue acknowledging the activation notice (" in html


def test_marking_a_grouped_row_read_marks_its_notifications_only(office, client):
    level_one(office)
    sweep_deadlines(minutes_later(6))
    sweep_deadlines(minutes_later(16))
    director = office[P.OFFICE_DIRECTOR]
    client.force_login(director)
    rows, _html = notification_rows(client)
    overdue = next(row for row in rows if row.event.kind == "deadline.overdue")
    response = client.post("/notifications/", {"notification": overdue.unread_ids})
    assert response.status_code == 302
    mine = Notification.objects.filter(recipient=director)
    assert not mine.filter(event__kind="deadline.overdue", read_at__isnull=True).exists()
    assert mine.filter(event__kind="deadline.reminder", read_at__isnull=True).exists()
    rows, _html = notification_rows(client)
    assert [row.unread for row in rows if row.event.kind == "deadline.overdue"] == [False]

    client.post("/notifications/")  # all
    assert not mine.filter(read_at__isnull=True).exists()


def test_someone_else_s_notification_is_refused_naming_the_field(office, make_user, client):
    level_one(office)
    sweep_deadlines(minutes_later(16))
    someone_else = Notification.objects.filter(recipient=office[P.DUTY_OFFICER]).first()
    client.force_login(office[P.OFFICE_DIRECTOR])
    with translation.override("zh-hans"):
        response = client.post("/notifications/", {"notification": [someone_else.pk]},
                               follow=True)
    text = response.content.decode()
    assert "不是您的通知" in text and "通知" in text
    assert not Notification.objects.filter(read_at__isnull=False).exists()
