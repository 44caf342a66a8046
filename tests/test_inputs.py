"""Hostile and malformed input (issue 11, defects 5, 8, 10 and 17): the shared text rule,
exports that survive rows stored before it, 400/404 instead of 500, text limits, frames that
carry summaries, and bodies whose fields are all taken or refused by name."""

import io
import json

import pytest
from django.db import transaction
from django.utils import timezone
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from command_room.frames import FRAME_TEXT_MAX, frames_of
from directory.choices import PositionCode as P
from directory.models import Person, Unit
from early_warnings import services as warning_services
from early_warnings.models import EarlyWarning
from incidents import services
from incidents.models import Incident, Report, UpwardReport
from tests.incident_helpers import api_intake, complete_contents, intake_form, report_incident
from tests.test_early_warnings import NS, SCHEMA
from tests.warning_helpers import complete_draft
from timeline.models import Event
from zezhou_heat.text import printable, refused_in

pytestmark = pytest.mark.django_db

FIGURES = {"deaths": 0, "serious_injuries": 1, "direct_loss": "200000",
           "households_affected": 2000, "area_affected": "150000"}


def post_json(client, url, body):
    """The body as UTF-8 JSON, as browsers and most clients send it (Chinese not escaped)."""
    return client.post(url, json.dumps(body, ensure_ascii=False).encode(),
                       content_type="application/json")


@pytest.fixture
def duty(client, users):
    client.force_login(users(P.DUTY_OFFICER))
    return client


# --- the text rule itself ---------------------------------------------------------------------


def test_the_rule_keeps_tabs_and_line_breaks_and_refuses_other_controls():
    assert refused_in("第一行\r\n第二行\t完") == []
    assert refused_in("a\x0bb\x00c\x1b\x7f\x85\ud800") == [
        "U+0000", "U+000B", "U+001B", "U+007F", "U+0085", "U+D800"]
    assert printable("a\x0bb\x00c") == "abc"


# --- 5. control characters: refused at input, exports safe anyway ----------------------------


def test_a_written_report_item_with_a_vertical_tab_is_refused_by_name(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{incident.pk}/reports/", {
        "kind": "written", "contents": complete_contents(place="a\u000bb"), **FIGURES})
    assert response.status_code == 400
    assert "U+000B" in response.json()["contents"]["place"][0]
    assert not incident.reports.filter(kind="written").exists()


def test_the_written_report_page_refuses_it_too(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    data = {**complete_contents(place="a\u000bb"), **FIGURES}
    response = duty.post(f"/incidents/{incident.pk}/written/", data)
    assert response.status_code == 200  # the form again, with the error on the item
    assert "U+000B" in response.content.decode()
    assert not incident.reports.filter(kind="written").exists()


def test_the_word_export_survives_a_stored_control_character(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    # As stored before the rule (the service is what the old API called).
    services.written_report_saved(actor=users(P.DUTY_OFFICER), incident=incident,
                                  contents=complete_contents(place="a\u000bb"),
                                  figures=incident.figures())
    response = duty.get(f"/incidents/{incident.pk}/written.docx")
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "地点：ab" in text


def test_a_person_named_with_a_vertical_tab_is_refused_on_the_api_and_the_page(client, users):
    client.force_login(users(P.OFFICE_DIRECTOR))
    response = post_json(client, "/api/directory/people/",
                         {"name": "张\x0b三", "unit": "gaj", "mobile": "13912345678"})
    assert response.status_code == 400 and "name" in response.json()
    page = client.post("/directory/people/new/", {
        "unit": Unit.objects.get(code="gaj").pk, "name": "张\x0b三", "mobile": "13912345678"})
    assert page.status_code == 200 and "U+000B" in page.content.decode()
    assert not Person.objects.filter(name__contains="张").exists()


def test_the_excel_export_survives_a_person_stored_with_a_vertical_tab(client, users):
    Person.objects.create(name="张\x0b三", unit=Unit.objects.get(code="gaj"))
    client.force_login(users(P.UNIT_LIAISON))
    response = client.get("/directory/export.xlsx")
    assert response.status_code == 200
    names = [row[1] for row in load_workbook(io.BytesIO(response.content)).active.values]
    assert "张三" in names


def test_a_warning_text_with_a_vertical_tab_is_refused(duty):
    body = {"category": "heating_facility", "level": "general", "townships": ["tw_nancun"],
            "impact": "约2000户\x0b可能停暖"}
    response = post_json(duty, "/api/warnings/", body)
    assert response.status_code == 400 and "impact" in response.json()
    assert not EarlyWarning.objects.exists()


def test_the_feed_and_cap_survive_a_warning_stored_with_a_vertical_tab(client, users):
    warning = complete_draft(users(P.DUTY_OFFICER), level="general")
    warning_services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)
    warning_services.warning_approved(actor=users(P.OFFICE_DIRECTOR), warning=warning)
    EarlyWarning.objects.filter(pk=warning.pk).update(impact="约2000户\x0b可能停暖")
    feed = client.get("/warnings/feed.atom")  # public
    assert feed.status_code == 200
    assert "约2000户可能停暖" in etree.fromstring(feed.content).findtext(
        "{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
    client.force_login(users(P.UNIT_LIAISON))
    cap = client.get(f"/warnings/{warning.pk}/cap/v1.xml")
    document = etree.fromstring(cap.content)  # well-formed
    SCHEMA.assertValid(document)
    assert document.findtext("cap:info/cap:description", namespaces=NS) == "约2000户可能停暖"


# --- 8. 400/404 instead of 500 ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/notices/abc/acknowledge/",
                                 "/api/checklist-items/abc/mark/"])
def test_a_pk_that_is_not_a_number_is_not_found(client, users, url):
    client.force_login(users(P.UNIT_LIAISON))
    assert post_json(client, url, {"status": "done"}).status_code == 404


@pytest.mark.parametrize("url", ["/api/incidents/", "/api/directory/units/",
                                 "/api/directory/task-groups/"])
def test_a_limit_beyond_any_page_is_refused_by_name(duty, users, url):
    report_incident(users(P.DUTY_OFFICER))
    response = duty.get(url, {"limit": "99999999999999999999"})
    assert response.status_code == 400 and "limit" in response.json()
    assert duty.get(url, {"limit": "2"}).status_code == 200


@pytest.mark.parametrize("url, name", [
    ("/api/directory/units/%00/", "path"),
    ("/api/directory/task-groups/%00/", "path"),
    ("/api/directory/people/?q=%00", "q"),
    ("/api/incidents/?township=%00", "township"),
    ("/api/timeline/events/?after=%00", "after"),
    ("/directory/?q=a%00", "q"),
])
def test_a_nul_in_the_address_is_refused_by_name_even_for_a_liaison(client, users, url, name):
    client.force_login(users(P.UNIT_LIAISON))
    response = client.get(url)
    assert response.status_code == 400
    assert name in (response.json() if url.startswith("/api/") else response.content.decode())


@pytest.mark.parametrize("url, change, name", [
    ("/api/incidents/", {"township": "\x00"}, "township"),
    ("/api/incidents/", {"reporter_unit": "\x00"}, "reporter_unit"),
    ("/api/directory/people/", {"unit": "\x00"}, "unit"),
    ("/api/directory/people/", {"positions": ["\x00"]}, "positions"),
    ("/api/directory/shifts/", {"unit": "\x00"}, "unit"),
    ("/api/warnings/", {"townships": ["\x00"]}, "townships"),
    ("/api/responses/", {"task_groups": ["\x00"]}, "task_groups"),
])
def test_a_nul_in_a_code_is_refused_by_name(client, users, url, change, name):
    client.force_login(users(P.OFFICE_DIRECTOR))
    incident = report_incident(users(P.DUTY_OFFICER))
    bodies = {
        "/api/incidents/": api_intake(),
        "/api/directory/people/": {"name": "王五", "unit": "gaj", "mobile": "13912345678"},
        "/api/directory/shifts/": {"unit": "gaj", "person": Person.objects.first().pk,
                                   "starts_at": timezone.now().isoformat(),
                                   "ends_at": timezone.now().isoformat()},
        "/api/warnings/": {"category": "heating_facility", "level": "general"},
        "/api/responses/": {"incident": incident.pk, "level": "III"},
    }
    with transaction.atomic():  # a 500 from PostgreSQL would abort the test's transaction
        response = post_json(client, url, {**bodies[url], **change})
    assert response.status_code == 400 and name in response.json()


def test_a_json_body_nested_ten_thousand_deep_is_a_400(duty):
    response = duty.post("/api/incidents/", "[" * 10_000 + "]" * 10_000,
                         content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


# --- 10. upward reports, text limits, frames ---------------------------------------------------


def test_an_upward_report_cannot_cite_a_report_of_another_incident(duty, users):
    mine, other = report_incident(users(P.DUTY_OFFICER)), report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{mine.pk}/upward-reports/", {
        "report": other.reports.get().pk, "recipient": "county_committee",
        "channel": "phone", "sent_at": timezone.now().isoformat()})
    assert response.status_code == 400 and "report" in response.json()
    assert not UpwardReport.objects.exists()


def test_a_continuation_summary_of_two_megabytes_is_refused_by_name(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "抢" * 800_000, **FIGURES})  # 2.4 MB of UTF-8
    assert response.status_code == 400 and "summary" in response.json()
    assert not incident.reports.filter(kind="continuation").exists()


def test_a_body_larger_than_the_server_takes_is_a_400(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "抢" * 1_000_000, **FIGURES})  # 3 MB
    assert response.status_code == 400 and "2.5 MB" in response.json()["detail"]


def test_the_intake_page_refuses_a_description_too_long(duty):
    response = duty.post("/incidents/new/", intake_form(description="爆" * 2001))
    assert response.status_code == 200 and not Incident.objects.exists()
    assert "description" in response.context["form"].errors


def test_a_frame_carries_a_summary_of_a_long_report(users):
    incident = report_incident(users(P.DUTY_OFFICER))
    services.continuation_report_filed(actor=users(P.DUTY_OFFICER), incident=incident,
                                       summary="抢修" * 1000, measures="", figures=FIGURES)
    event = Event.objects.get(kind="report.continuation")
    assert len(event.new["summary"]) == 2000  # the record keeps it all
    frame = frames_of([event])[0]
    assert len(frame["new"]["summary"]) == FRAME_TEXT_MAX
    assert frame["new"]["summary"].endswith("…") and frame["new"]["number"] == 1


# --- 17. notices of warnings reported up; fields a body gives and nobody reads ---------------


def test_a_warning_reported_up_has_no_county_notice(client, users):
    warning = complete_draft(users(P.DUTY_OFFICER), level="major")
    warning_services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)
    warning_services.warning_reported_up(actor=users(P.COMMANDER), warning=warning,
                                         to="晋城市人民政府", at=timezone.now())
    client.force_login(users(P.DUTY_OFFICER))
    assert client.get(f"/api/warnings/{warning.pk}/").json()["public_notice"] is None
    page = client.get(f"/warnings/{warning.pk}/")
    assert page.status_code == 200 and warning.impact in page.content.decode()
    assert f"——{warning.issuing_body}" not in page.content.decode()
    assert client.get(f"/warnings/{warning.pk}/notice/").status_code == 404


def test_a_written_report_given_a_summary_and_measures_is_refused_naming_them(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{incident.pk}/reports/", {
        "kind": "written", "contents": complete_contents(), "summary": "主管道爆裂",
        "measures": "关阀抢修", **FIGURES})
    assert response.status_code == 400
    assert set(response.json()) == {"summary", "measures"}
    assert not incident.reports.filter(kind="written").exists()


def test_a_continuation_report_given_contents_is_refused_naming_them(duty, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    response = post_json(duty, f"/api/incidents/{incident.pk}/reports/", {
        "kind": "continuation", "summary": "已恢复", "contents": {"place": "东街"}, **FIGURES})
    assert response.status_code == 400 and set(response.json()) == {"contents"}


@pytest.mark.parametrize("extra, message_key", [
    ({"colour": "red"}, "colour"),           # unknown
    ({"status": "closed"}, "status"),        # read-only: would be ignored
])
def test_a_field_the_api_does_not_take_is_refused_by_name(duty, extra, message_key):
    response = post_json(duty, "/api/incidents/", {**api_intake(), **extra})
    assert response.status_code == 400 and list(response.json()) == [message_key]
    assert not Incident.objects.exists()


def test_a_decision_note_with_an_unknown_field_is_refused(client, users):
    incident = report_incident(users(P.DUTY_OFFICER))
    client.force_login(users(P.DUTY_OFFICER))
    response = post_json(client, "/api/responses/", {"incident": incident.pk, "level": "III",
                                                     "reasons": "typo"})
    assert response.status_code == 400 and "reasons" in response.json()


def test_every_write_serializer_is_strict():
    """Every serializer that reads a body refuses what it does not take: they all derive
    from the project's bases (zezhou_heat.api)."""
    import importlib

    from rest_framework import serializers

    from zezhou_heat.api import StrictInput

    loose = []
    for module_name in ("incidents.serializers", "early_warnings.serializers",
                        "directory.serializers", "response.serializers", "zezhou_heat.api"):
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, serializers.Serializer)
                    and value.__module__ == module_name and not issubclass(value, StrictInput)):
                loose.append(f"{module_name}.{name}")
    assert loose == []


def test_json_bodies_still_work(duty):
    response = post_json(duty, "/api/incidents/", api_intake())
    assert response.status_code == 201, response.content
    assert json.loads(response.content)["place"] == "东街换热站"
    assert Report.objects.count() == 1
