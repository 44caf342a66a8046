"""Every declared event kind reads as a sentence built from its payload at read time, in the
reader's language (timeline.readings, timeline.sentences), and figures show exactly as entered
(zezhou_heat.figures): never a stored value, an English key or a Python repr on a screen."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.utils import timezone, translation

from command_room.frames import frames_of
from directory.choices import PositionCode
from incidents import clocks
from incidents.models import Deadline
from response import services as response_services
from tests.incident_helpers import report_incident
from timeline import kinds
from timeline.kinds import EventKind
from timeline.models import Event
from timeline.sentences import line, sentence, subject
from zezhou_heat import figures

P = PositionCode
LANGUAGES = ("zh-hans", "en")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
# The plan's legal terms, which the English screens show beside their translation on purpose
# ("General (一般)", "skipping a level (越级上报)").
LEGAL_TERMS = ("(一般)", "(较大)", "(重大)", "(特别重大)", "(重大以上)", "(越级上报)")

# Data as people type it: Chinese for the Chinese screen, ASCII for the English one, so that
# any word the software adds in the wrong language shows.
TEXT = {"zh-hans": "泵站漏水", "en": "Pump station leak"}
NAMES = {"zh-hans": ["县住建局", "县公安局"], "en": ["Housing Bureau", "Police Bureau"]}


def typical(field, language, *, before=False):
    """A value for a payload field as the services write it."""
    text, names = TEXT[language], NAMES[language]
    values = {
        "grade": "general" if before else "larger", "criterion": "" if before else "deaths",
        "report": 7, "deaths": 0 if before else 3, "serious_injuries": 1,
        "direct_loss": "2800000.00" if before else "9999999.99",
        "households_affected": 12000, "area_affected": "150000.0",
        "complete": True, "on_time": not before, "missing": ["place", "casualties"],
        "number": 2, "summary": text, "recipient": "county_government", "channel": "phone",
        "skipped_level": True, "asked_by": names[0], "question": text,
        "due_at": "2026-01-05 21:30:00", "reply": text, "kind": "notice_ack", "unit": names[0],
        "username": names[1], "ip_address": "10.0.0.8", "usable": True, "leadership": True,
        "recovery_codes": 10, "devices": 2, "suggested": "II", "reason": text,
        "mode": "approved", "rank": 3, "task_groups": names, "units": names, "note": text,
        "leader": names[1], "place": text, "at": "2026-01-05 21:30",
        "condition": "hazards_removed", "to": names[0], "category": "cold_wave",
        "channels": ["sms"] if before else ["sms", "posters"], "version": 2,
        "area": names[:1] if before else names, "places": "" if before else text,
        "scope": "", "as_of": "2026-01-05T21:30:00+08:00", "seq": 120, "incidents": [3, 5],
        "source": text, "townships": 16, "via": "link",
        "step": 2, "minutes": 25, "recipients": names[1:], "previous": names[:1], "skipped": "",
        "totals": {"levels": {"I": 1, "none": 1}, "households": 12000, "overdue_clocks": 4,
                   "unacknowledged_units": 3, "warnings": 1, "drills": 0},
    }
    return values[field]


# A delivery of a message (notify.delivery.*) and a reply, as notify.services writes them.
NOTIFY = {"message": 3, "kind": "activation", "channel": "sms", "address": "138****5678",
          "segments": 1, "code": "isv.BUSINESS_LIMIT_CONTROL", "attempts": 2,
          "next_attempt_at": "2026-01-05T21:30:10+08:00", "from_channel": "wecom"}


def by_kind(kind, field, language, before):
    """Fields whose values depend on the kind: levels and states of different things."""
    if kind.name.startswith(("notify.delivery.", "notify.reply.")):
        if field in ("recipient", "unit"):
            return NAMES[language][0]
        if field == "text":
            return TEXT[language]
        return NOTIFY[field]
    if field == "level" and kind.name.startswith("warning."):
        return "general" if before else "larger"
    if field == "level":
        return "II" if before else "I"
    if field == "status" and kind.name.startswith("checklist."):
        return "open" if before else "done"
    if field == "status":
        return "reported" if before else "responding"
    if field == "note" and before:
        return ""
    if kind.name.startswith("auth.account."):
        return model_value(apps.get_model("auth.user")._meta.get_field(field), language, before)
    return typical(field, language, before=before)


def model_value(field, language, before):
    """A value of a model field as directory.services.field_values writes it."""
    if field.choices:
        return field.choices[-1 if before else 0][0]
    if isinstance(field, models.BooleanField):
        return not before
    if isinstance(field, models.DateTimeField):
        return "2026-01-05T13:30:00Z" if before else "2026-01-06T01:00:00Z"
    if isinstance(field, models.DecimalField):
        return "12.50"
    if isinstance(field, (models.IntegerField, models.ForeignKey)) and not field.is_relation:
        return 2 if before else 3
    if isinstance(field, (models.JSONField, models.ManyToManyField)):
        return NAMES[language][:1] if before else NAMES[language]
    return NAMES[language][0] if before else TEXT[language]


def payload(kind, language):
    """(new, old) with every declared field, for `kind`."""
    if kind.changes_of:
        meta = kind.model_fields()
        fields = {name: apps.get_model(kind.changes_of)._meta.get_field(name)
                  for name in meta}
        new = {name: model_value(f, language, False) for name, f in fields.items()}
        old = {name: model_value(f, language, True) for name, f in fields.items()}
        action = kind.name.rpartition(".")[2]
        return ({} if action == "deleted" else new), (old if action != "created" else {})
    new = {f: by_kind(kind, f, language, False) for f in (*kind.fields, *kind.optional)}
    old = {f: by_kind(kind, f, language, True) for f in (*kind.old_fields, *kind.old_optional)}
    return new, old


def readings_of(kind, language):
    new, old = payload(kind, language)
    with translation.override(language):
        return kind.reads(new, old, False), kind.reads(new, old, True)


def test_a_kind_cannot_be_declared_without_a_reading():
    with pytest.raises(TypeError, match="reads"):
        EventKind("incident.exploded", "Exploded")  # no reading: refused


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", kinds.DECLARED, ids=lambda kind: kind.name)
def test_every_declared_kind_reads_as_a_sentence(kind, language):
    assert callable(kind.reads), kind.name
    for text in readings_of(kind, language):
        assert text.strip(), kind.name
        for raw in ("=", "True", "False", "None", "[", "]", "{", "}", "%(", "_"):
            assert raw not in text, (kind.name, raw, text)
        if language == "zh-hans":
            assert not re.search("[A-Za-z]", text), (kind.name, text)  # no English key or code
        else:
            plain = text
            for term in LEGAL_TERMS:
                plain = plain.replace(term, "")
            assert not CJK.search(plain), (kind.name, text)


def read(kind, language, new, old=None, short=False):
    with translation.override(language):
        return kinds.KINDS[kind].reads(new, old or {}, short)


FIRST_REPORT = {"grade": "general", "criterion": "", "report": 1, "deaths": 1,
                "serious_injuries": 3, "direct_loss": "2800000.00", "households_affected": 0,
                "area_affected": "0.0"}


def test_the_first_report_reads_with_its_casualties_loss_and_grade():
    assert read("incident.reported", "zh-hans", FIRST_REPORT) == (
        "首报：死亡1人、重伤3人，直接经济损失280万元；等级：一般（死亡少于3人、重伤少于10人、"
        "直接经济损失少于1000万元）")
    assert read("incident.reported", "en", FIRST_REPORT) == (
        "First report: 1 death, 3 serious injuries, direct loss 2,800,000 yuan; grade "
        "General (一般): fewer than 3 deaths, fewer than 10 serious injuries and a direct loss "
        "below 10,000,000 yuan")
    quiet = {**FIRST_REPORT, "deaths": 0, "serious_injuries": 0, "direct_loss": "0.00",
             "households_affected": 150000}
    assert read("incident.reported", "zh-hans", quiet, short=True) == (
        "首报：无人员伤亡，停暖15万户；等级：一般")


def test_a_grade_change_says_which_figure_decided_it():
    old = {"grade": "general", "criterion": ""}
    assert read("incident.grade_changed", "zh-hans", {"grade": "larger", "criterion": "deaths"},
                old) == "等级由一般调整为较大（死亡3人以上）"
    assert read("incident.grade_changed", "en", {"grade": "major", "criterion": "direct_loss"},
                old) == ("Grade changed from General (一般) to Major (重大): direct loss of "
                         "50,000,000 yuan or more")


def test_figures_changed_read_as_before_and_after():
    assert read("incident.figures_changed", "zh-hans",
                {"deaths": 3, "direct_loss": "9999999.99"},
                {"deaths": 1, "direct_loss": "2800000.00"}) == (
        "死亡人数：1人 → 3人；直接经济损失：280万元 → 9,999,999.99元")


def test_written_reports_read_as_on_time_late_or_what_is_missing():
    assert read("report.written", "zh-hans",
                {"complete": True, "on_time": True, "missing": []}) == "书面报告按时提交，内容完整"
    assert read("report.written", "en", {"complete": True, "on_time": False, "missing": []}) == (
        "Written report submitted late, complete")
    draft = {"complete": False, "on_time": None, "missing": ["place", "casualties"]}
    assert read("report.written_draft", "zh-hans", draft) == "书面报告已存为草稿，尚缺：地点、人员伤亡情况"
    assert read("report.written_draft", "en", draft) == (
        "Written report saved as a draft; missing: Place, Casualties")


def test_responses_read_with_level_authority_and_units():
    started = {"level": "I", "mode": "approved", "rank": 3, "task_groups": ["综合协调组"],
               "units": ["县住建局", "县公安局"]}
    assert read("response.started", "zh-hans", started) == (
        "经指挥长批准，启动Ⅰ级响应；工作组：综合协调组；已通知2个单位：县住建局、县公安局")
    assert read("response.started", "en", {**started, "mode": "direct", "rank": 2},
                short=True) == "Level Ⅰ started directly by a deputy commander; 2 units notified"
    assert read("response.level_changed", "zh-hans", {"level": "I", "reason": "事态扩大"},
                {"level": "II"}) == "响应级别由Ⅱ级响应调整为Ⅰ级响应；理由：事态扩大"


def test_an_issued_warning_reads_with_level_version_and_channels():
    issued = {"level": "general", "channels": ["sms", "posters"], "version": 1}
    assert read("warning.issued", "zh-hans", issued) == (
        "发布一般风险预警（第1版）；发布渠道：手机短信、张贴公告")
    assert read("warning.issued", "en", issued, short=True) == (
        "General risk warning (一般) issued (version 1)")


def test_an_overdue_acknowledgement_names_the_unit():
    overdue = {"kind": "notice_ack", "due_at": "2026-01-05 21:30:00", "unit": "县住建局"}
    assert read("deadline.overdue", "zh-hans", overdue) == (
        "已超时：县住建局未在01-05 21:30前确认收到启动通知")
    assert read("deadline.overdue", "en", {**overdue, "unit": "Housing Bureau"}) == (
        "Overdue: Housing Bureau did not acknowledge the activation notice by 01-05 21:30")
    assert read("deadline.overdue", "zh-hans", {"kind": "written_report",
                                                "due_at": "2026-01-05 21:30:00"}) == (
        "已超时：书面报告未在01-05 21:30前提交")


def test_a_directory_change_names_its_fields_in_the_reader_s_language(plan):
    change = ({"duties": ["协调"], "is_demo": False}, {"duties": ["协调", "督导"], "is_demo": True})
    assert read("directory.unit.updated", "zh-hans", change[1], change[0]) == (
        "职责：协调 → 协调、督导；演示数据：否 → 是")
    assert read("directory.unit.updated", "en", change[1], change[0], short=True) == (
        "Changed: duties, demo data")


# --- figures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, chinese, english", [
    ("2800000.00", "280万元", "2,800,000 yuan"),
    ("9999999.99", "9,999,999.99元", "9,999,999.99 yuan"),  # never 1000万: that is 较大
    ("99999999.99", "99,999,999.99元", "99,999,999.99 yuan"),
    ("150000000", "1.5亿元", "150,000,000 yuan"),
    ("2815300", "281.53万元", "2,815,300 yuan"),
    ("2815310", "2,815,310元", "2,815,310 yuan"),
    ("5000", "5000元", "5,000 yuan"),
    ("0.50", "0.50元", "0.50 yuan"),
    (Decimal("0"), "0元", "0 yuan"),
])
def test_money_is_exact_in_wan_or_in_full(value, chinese, english):
    with translation.override("zh-hans"):
        assert figures.money(value) == chinese
    with translation.override("en"):
        assert figures.money(value) == english


def test_households_and_area_are_exact():
    with translation.override("zh-hans"):
        assert figures.households(150000) == "15万户"
        assert figures.households(150123) == "150,123户"
        assert figures.area("150000.0") == "15万平方米"
        assert figures.area("12345.5") == "12,345.5平方米"
    with translation.override("en"):
        assert figures.households("150000.0") == "150,000 households"
        assert figures.area("150000.0") == "150,000 m²"


def test_continuation_reports_are_numbered_in_the_reader_s_language():
    with translation.override("zh-hans"):
        assert [figures.report_number(n) for n in (1, 10, 12, 20, 35)] == [
            "一", "十", "十二", "二十", "三十五"]
    with translation.override("en"):
        assert figures.report_number(12) == "12"


# --- on the screens ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_incident_page_shows_the_loss_exactly_and_its_timeline_in_sentences(client_as):
    client, officer = client_as(P.DUTY_OFFICER)
    incident = report_incident(officer, deaths=1, serious_injuries=3,
                               direct_loss=Decimal("9999999.99"), households_affected=150000)
    html = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "9,999,999.99元" in html and "1000万元</dd>" not in html and "10000000" not in html
    assert "15万户" in html
    assert "首报：死亡1人、重伤3人，直接经济损失9,999,999.99元" in html
    assert "grade=" not in html and "criterion=" not in html
    client.cookies["django_language"] = "en"
    english = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "First report: 1 death, 3 serious injuries, direct loss 9,999,999.99 yuan" in english


@pytest.mark.django_db
def test_a_subject_is_rendered_at_read_time_in_the_reader_s_language(make_user):
    officer = make_user(P.DUTY_OFFICER)
    incident = report_incident(officer)
    with translation.override("zh-hans"):
        report = incident_services_continuation(officer, incident)
    event = Event.objects.select_related("incident__township").get(
        kind="report.continuation", incident=incident)
    assert "续报一" in event.subject_label  # stored in the writer's language
    with translation.override("en"):
        assert subject(event) == f"#{incident.pk} 南村镇 Continuation report 1"
        assert line(event) == f"#{incident.pk} 南村镇: Continuation report 1: 阀门已关闭"
        assert report.title == "Continuation report 1"
    with translation.override("zh-hans"):
        assert subject(event) == f"#{incident.pk} 南村镇 续报一"


def incident_services_continuation(actor, incident):
    from incidents import services

    return services.continuation_report_filed(actor=actor, incident=incident,
                                              summary="阀门已关闭", measures="",
                                              figures=incident.figures())


@pytest.mark.django_db
def test_the_live_frames_carry_sentences_in_every_language(make_user):
    officer = make_user(P.DUTY_OFFICER)
    incident = report_incident(officer, deaths=1, serious_injuries=3,
                               direct_loss=Decimal("2800000"))
    event = Event.objects.get(kind="incident.reported", incident=incident)
    [frame] = frames_of([event])
    assert frame["text"]["zh-hans"] == (
        f"#{incident.pk} 南村镇：首报：死亡1人、重伤3人，直接经济损失280万元，停暖2000户，"
        "影响供热面积15万平方米；等级：一般")
    assert frame["text"]["en"].startswith(f"#{incident.pk} 南村镇: First report: 1 death")


@pytest.mark.django_db
def test_an_overdue_acknowledgement_clock_names_its_unit_on_the_timeline(make_user):
    people = {p: make_user(p) for p in (P.DUTY_OFFICER, P.COMMANDER)}
    incident = report_incident(people[P.DUTY_OFFICER])
    response_services.response_started_directly(actor=people[P.COMMANDER], incident=incident,
                                                level="I", reason="演练")
    clocks.sweep_deadlines(timezone.now() + timedelta(minutes=16))
    notice_clock = Deadline.objects.filter(kind="notice_ack", notice__unit__code="gaj").get()
    event = Event.objects.get(kind="deadline.overdue", subject_id=str(notice_clock.pk))
    assert event.new["unit"] == "县公安局"
    with translation.override("zh-hans"):
        assert "县公安局未在" in sentence(event) and "确认收到启动通知" in sentence(event)


@pytest.mark.django_db
def test_a_unit_s_change_log_reads_as_sentences(client_as):
    from directory.models import Unit
    from directory.services import directory_object_saved

    client, _user = client_as(P.OFFICE_DIRECTOR)
    unit = Unit.objects.get(code="gaj")
    unit.duties, unit.is_demo = [*unit.duties, "夜间巡查"], True
    directory_object_saved(actor=_user, instance=unit)
    html = client.get("/directory/units/gaj/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "夜间巡查" in html and "演示数据：否 → 是" in html
    assert "is_demo" not in html and "['" not in html and "False" not in html


@pytest.mark.django_db
def test_the_notifications_page_says_what_is_overdue(client_as, make_user):
    client, _director = client_as(P.OFFICE_DIRECTOR)
    now = timezone.now()
    incident = report_incident(make_user(P.DUTY_OFFICER), reported_at=now - timedelta(minutes=31),
                               occurred_at=now - timedelta(minutes=40))
    clocks.sweep_deadlines()
    html = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"#{incident.pk} 南村镇" in html and "已超时：书面报告未在" in html
