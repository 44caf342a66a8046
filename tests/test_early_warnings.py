"""Early warnings (plan §3.1–3.4): every transition for every position, bad input, and the
CAP 1.2 messages validated against the OASIS schema."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from lxml import etree

from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import cap, services
from early_warnings.choices import LEVEL_CHANNELS
from early_warnings.models import EarlyWarning
from tests.conftest import seeded
from tests.warning_helpers import complete_draft
from timeline.models import Event

pytestmark = pytest.mark.django_db
P = PositionCode
XSD = Path(__file__).resolve().parent.parent / "early_warnings" / "standards" / "CAP-v1.2.xsd"
SCHEMA = etree.XMLSchema(etree.parse(str(XSD)))
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
RANK = {P.COMMANDER: 3, P.DEPUTY_COMMANDER: 2, P.OFFICE_DIRECTOR: 1}
NEEDED = {"general": 1, "larger": 2, "major": 3}
APPROVER = {"general": P.OFFICE_DIRECTOR, "larger": P.DEPUTY_COMMANDER, "major": P.COMMANDER}
DRAFTERS = {P.DUTY_OFFICER, P.OFFICE_DIRECTOR}
SEE_ONLY_ISSUED = {P.TOWNSHIP_OFFICER, P.ENTERPRISE_REPORTER}  # tests/test_warning_visibility.py


def warning_in(state, level, users):
    warning = complete_draft(users(P.DUTY_OFFICER), level=level)
    if state == "draft":
        return warning
    services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)
    approver = users(APPROVER[level])
    if state == "rejected":
        services.warning_rejected(actor=approver, warning=warning)
    if state in ("issued", "lifted"):
        services.warning_approved(actor=approver, warning=warning)
    if state == "lifted":
        services.warning_lifted(actor=approver, warning=warning, reason="风险解除")
    return EarlyWarning.objects.get(pk=warning.pk)


def body(transition, level):
    return {
        "update": {"level": level, "townships": ["tw_nancun", "tw_xiacun"], "note": "扩大范围"},
        "lift": {"reason": "风险解除"},
        "report-up": {"to": "晋城市人民政府", "at": timezone.now().isoformat()},
    }.get(transition, {})


SOURCE = {"submit": {"draft", "rejected"}, "approve": {"pending"}, "reject": {"pending"},
          "update": {"issued"}, "lift": {"issued"}, "report-up": {"pending"}}
STATES = ["draft", "pending", "rejected", "issued", "lifted"]


def authorised(position, transition, level):
    if transition == "submit":
        return position in DRAFTERS
    if transition == "report-up":
        return RANK.get(position, 0) == 3 and level == "major"
    return RANK.get(position, 0) >= NEEDED[level]


class TestTransitionMatrix:
    """All 720 cases through the API. The 15 warnings (one per state × level) and the users
    are written once for the class (conftest.seeded); each case runs in a savepoint that is
    rolled back, so it meets its warning exactly as warning_in left it."""

    @pytest.fixture(scope="class")
    def world(self, django_db_setup, django_db_blocker):
        with seeded(django_db_blocker) as seed:
            yield seed, {(state, level): warning_in(state, level, seed.user).pk
                          for state in STATES for level in ("general", "larger", "major")}

    @pytest.mark.parametrize("level", ["general", "larger", "major"])
    @pytest.mark.parametrize("state", STATES)
    @pytest.mark.parametrize("transition", list(SOURCE))
    @pytest.mark.parametrize("position", list(PositionCode))
    def test_transition_matrix(self, client, world, position, transition, state, level):
        seed, warnings = world
        warning = EarlyWarning.objects.get(pk=warnings[state, level])
        assert warning.state == state and warning.level == level
        events_before = Event.objects.count()
        seed.log_in(client, position)  # as client.force_login(seed.user(position))
        answer = client.post(f"/api/warnings/{warning.pk}/{transition}/",
                             body(transition, level), content_type="application/json")
        if position in SEE_ONLY_ISSUED and state not in ("issued", "lifted"):
            expected = 404  # not issued: a township or enterprise user does not see it
        elif not authorised(position, transition, level):
            expected = 403
        elif state not in SOURCE[transition]:
            expected = 409
        else:
            expected = 200
        assert answer.status_code == expected, answer.content
        if expected != 200:
            assert EarlyWarning.objects.get(pk=warning.pk).state == state
            assert Event.objects.count() == events_before


@pytest.mark.parametrize("position", list(PositionCode))
def test_drafting_by_position(client, users, position):
    client.force_login(users(position))
    answer = client.post("/api/warnings/", {"category": "cold_wave", "level": "general"},
                         content_type="application/json")
    assert answer.status_code == (201 if position in DRAFTERS else 403)


def test_a_warning_missing_an_element_cannot_be_submitted(client, users):
    client.force_login(users(P.DUTY_OFFICER))
    answer = client.post("/api/warnings/", {"category": "cold_wave", "level": "general",
                                            "impact": "寒潮", "submit": True},
                         content_type="application/json")
    assert answer.status_code == 400
    assert {"townships", "starts_at", "watch_for", "measures", "source"} <= set(answer.json())
    assert not EarlyWarning.objects.exists()  # nothing half saved


@pytest.mark.parametrize("change, field", [
    ({"ends_at": -1}, "ends_at"),
    ({"townships": ["tw_nowhere"]}, "townships"),
])
def test_bad_drafts_are_refused_with_the_field_named(client, users, change, field):
    client.force_login(users(P.DUTY_OFFICER))
    now = timezone.now()
    data = {"category": "cold_wave", "level": "general", "townships": ["tw_nancun"],
            "starts_at": now.isoformat()}
    if "ends_at" in change:
        data["ends_at"] = (now + timedelta(hours=change["ends_at"])).isoformat()
    else:
        data.update(change)
    answer = client.post("/api/warnings/", data, content_type="application/json")
    assert answer.status_code == 400 and field in answer.json()
    assert not EarlyWarning.objects.exists()


def test_who_issued_it_lifts_it(users):
    """A 一般 warning approved by the commander is not lifted by the office director."""
    warning = complete_draft(users(P.DUTY_OFFICER), level="general")
    services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)
    services.warning_approved(actor=users(P.COMMANDER), warning=warning)
    with pytest.raises(PermissionDenied):
        services.warning_lifted(actor=users(P.OFFICE_DIRECTOR), warning=warning, reason="解除")
    services.warning_lifted(actor=users(P.COMMANDER), warning=warning, reason="解除")


def test_raising_the_level_needs_the_higher_authority(users):
    warning = warning_in("issued", "general", users)
    with pytest.raises(PermissionDenied):
        services.warning_updated(actor=users(P.OFFICE_DIRECTOR), warning=warning,
                                 level="larger", townships=list(warning.townships.all()),
                                 places="")
    services.warning_updated(actor=users(P.DEPUTY_COMMANDER), warning=warning, level="larger",
                             townships=list(warning.townships.all()), places="")
    warning.refresh_from_db()
    assert warning.level == "larger" and warning.channels == list(LEVEL_CHANNELS["larger"])
    assert [r.msg_type for r in warning.revisions.all()] == ["Alert", "Update"]


def test_issue_preselects_the_level_s_channels_including_targeted_notices(users):
    warning = warning_in("issued", "major", users)
    assert warning.channels == list(LEVEL_CHANNELS["major"])
    assert "targeted" in warning.channels


def test_a_major_warning_beyond_the_county_is_reported_up_not_issued(users):
    warning = warning_in("pending", "major", users)
    services.warning_reported_up(actor=users(P.COMMANDER), warning=warning,
                                 to="晋城市人民政府", at=timezone.now())
    warning.refresh_from_db()
    assert warning.state == "reported_up" and warning.reported_to == "晋城市人民政府"
    assert not warning.revisions.exists()  # the county issued no CAP message


# --- CAP 1.2 ---------------------------------------------------------------------------------


def parse(xml):
    document = etree.fromstring(xml)
    SCHEMA.assertValid(document)
    return document


def test_every_cap_message_validates_against_the_schema(users):
    warning = warning_in("issued", "larger", users)
    services.warning_updated(actor=users(P.COMMANDER), warning=warning, level="major",
                             townships=list(Unit.objects.filter(code__in=["tw_nancun",
                                                                          "tw_xiacun"])),
                             places="东街、西街", note="扩大")
    services.warning_lifted(actor=users(P.COMMANDER), warning=warning, reason="抢修完成")
    documents = [parse(cap.alert_xml(r)) for r in warning.revisions.all()]
    assert [d.findtext("cap:msgType", namespaces=NS) for d in documents] == [
        "Alert", "Update", "Cancel"]
    first, update, cancel = documents
    assert first.findtext("cap:status", namespaces=NS) == "Actual"
    assert first.findtext("cap:sent", namespaces=NS).endswith("+08:00")
    info = first.find("cap:info", namespaces=NS)
    assert info.findtext("cap:language", namespaces=NS) == "zh-CN"
    assert (info.findtext("cap:severity", namespaces=NS),
            info.findtext("cap:urgency", namespaces=NS)) == ("Moderate", "Expected")
    assert "南村镇" in info.findtext("cap:area/cap:areaDesc", namespaces=NS)
    assert update.find("cap:info", namespaces=NS).findtext("cap:severity", namespaces=NS) == \
        "Severe"
    first_id = first.findtext("cap:identifier", namespaces=NS)
    references = cancel.findtext("cap:references", namespaces=NS)
    assert first_id in references and update.findtext("cap:identifier", namespaces=NS) in \
        references


def test_a_drill_is_an_exercise(users):
    warning = complete_draft(users(P.DUTY_OFFICER), level="general", is_drill=True)
    services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)
    services.warning_approved(actor=users(P.OFFICE_DIRECTOR), warning=warning)
    document = parse(cap.alert_xml(warning.revisions.get()))
    assert document.findtext("cap:status", namespaces=NS) == "Exercise"


def test_cap_download_feed_and_json(client, users):
    warning = warning_in("issued", "larger", users)
    client.force_login(users(P.UNIT_LIAISON))
    download = client.get(f"/warnings/{warning.pk}/cap/v1.xml")
    assert download["Content-Type"] == "application/cap+xml"
    parse(download.content)
    assert [w["id"] for w in client.get("/api/warnings/in-effect/").json()] == [warning.pk]
    client.logout()
    feed = client.get("/warnings/feed.atom").content.decode()
    assert f"/warnings/{warning.pk}/cap/v1.xml" in feed
    assert client.get(f"/warnings/{warning.pk}/notice/").status_code == 200


def test_the_public_notice_is_plain_chinese(users):
    warning = warning_in("issued", "larger", users)
    from early_warnings.notice import public_notice

    text = public_notice(warning)
    assert text.startswith("【泽州县供热较大风险预警】")
    assert "南村镇" in text and "请您：" in text and text.endswith(warning.issuing_body)


def test_the_service_refuses_a_unit_that_is_not_a_township(users):
    with pytest.raises(ValidationError) as error:
        complete_draft(users(P.DUTY_OFFICER), townships=[Unit.objects.get(code="gaj")])
    assert "townships" in error.value.message_dict
    assert not EarlyWarning.objects.exists()
