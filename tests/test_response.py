"""The response flow (plan §4.3–4.5, §4.10): activation starts task groups, notices to
acknowledge on the deadline machinery, the level's measures and the scenario's playbook as a
checklist, the history of levels, ending, and two approvers at the same moment."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import TaskGroup
from incidents import services as incident_services
from incidents.clocks import sweep_deadlines
from incidents.models import Deadline
from response import services
from response.choices import CONDITIONS
from response.models import Notice, PlaybookItem, Response
from tests.approval_race import approval_rounds
from tests.incident_helpers import figures_of, report_incident
from timeline.models import Event, Notification
from zezhou_heat.errors import StateConflict

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def people(make_user):
    return {p: make_user(p) for p in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR, P.DEPUTY_COMMANDER,
                                      P.COMMANDER)}


def approved(people, level="II", groups=()):
    incident = report_incident(people[P.DUTY_OFFICER])
    response = services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident,
                                          level=level, reason="需要", task_groups=groups)
    approver = people[P.COMMANDER if level == "I" else P.DEPUTY_COMMANDER]
    return services.response_approved(actor=approver, response=response)


def test_the_playbooks_of_section_4_5_are_data(plan):
    pipeline = PlaybookItem.objects.filter(scenario="pipeline_damage")
    assert pipeline.filter(task_group__name="抢险救援组", text__contains="关闭泄漏点前面的阀门").exists()
    assert pipeline.filter(task_group__name="治安警戒组", text__contains="交通管制").exists()
    assert pipeline.filter(task_group__name="善后处置组", text__contains="老、弱、病、残、孕、幼").exists()


def test_approval_starts_groups_notices_and_checklist(people):
    response = approved(people, "II")
    incident = response.incident
    incident.refresh_from_db()
    assert incident.status == "responding"
    groups = set(response.task_groups.values_list("code", flat=True))
    assert groups == {"coordination", "rescue", "security", "experts", "aftermath"}  # scenario
    expected_units = set()
    for group in response.task_groups.all():
        expected_units |= {group.lead_unit_id, *group.member_units.values_list("pk", flat=True)}
    assert set(response.notices.values_list("unit", flat=True)) == expected_units
    notice = response.notices.first()
    assert notice.deadline.kind == "notice_ack"
    assert notice.deadline.due_at == notice.sent_at + timedelta(minutes=15)
    checklist = response.checklist.all()
    assert checklist.filter(is_measure=True).count() == 7  # §4.3.2's measures
    assert checklist.filter(task_group__code="rescue", text__contains="关闭泄漏点").exists()
    assert response.level_changes.get().to_level == "II"
    started = Event.objects.get(kind="response.started")
    assert started.actor == people[P.DEPUTY_COMMANDER] and started.new["mode"] == "approved"


def test_level_one_starts_all_eight_groups(people):
    response = approved(people, "I", groups=TaskGroup.objects.filter(code="rescue"))
    assert response.task_groups.count() == 8


def test_a_different_level_needs_a_reason(people):
    incident = report_incident(people[P.DUTY_OFFICER])  # suggested: Ⅱ (a casualty)
    with pytest.raises(ValidationError) as error:
        services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident, level="I")
    assert "reason" in error.value.message_dict
    assert not Response.objects.exists()


def test_level_three_started_by_the_director_informs_the_leaders(people):
    incident = report_incident(people[P.DUTY_OFFICER], serious_injuries=0)
    services.response_started_directly(actor=people[P.OFFICE_DIRECTOR], incident=incident,
                                       level="III")
    started = Event.objects.get(kind="response.started")
    told = set(Notification.objects.filter(event=started).values_list("recipient", flat=True))
    assert {people[P.COMMANDER].pk, people[P.DEPUTY_COMMANDER].pk} <= told


def test_level_changes_keep_their_history(people):
    response = approved(people, "II")
    services.response_level_changed(actor=people[P.COMMANDER], response=response, level="I",
                                    reason="事态升级")
    services.response_level_changed(actor=people[P.COMMANDER], response=response, level="II",
                                    reason="得到控制")
    history = [(c.from_level, c.to_level) for c in response.level_changes.all()]
    assert history == [("", "II"), ("II", "I"), ("I", "II")]
    assert response.task_groups.count() == 8  # raised to Ⅰ: all groups started


def test_a_liaison_acknowledges_their_unit_s_notice(people, make_user):
    response = approved(people, "II")
    notice = response.notices.get(unit__code="gaj")
    stranger = make_user(P.UNIT_LIAISON, unit_code="fire")
    with pytest.raises(PermissionDenied, match="县公安局"):
        services.notice_acknowledged(actor=stranger, notice=notice)
    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    services.notice_acknowledged(actor=liaison, notice=notice)
    notice.refresh_from_db()
    assert notice.acknowledged_by == liaison
    assert Deadline.objects.get(pk=notice.deadline_id).met_at is not None
    with pytest.raises(StateConflict):
        services.notice_acknowledged(actor=liaison, notice=notice)


def test_an_unanswered_notice_becomes_overdue_and_the_office_sees_who(people, client):
    response = approved(people, "II")
    sweep_deadlines(timezone.now() + timedelta(minutes=16))
    overdue = Notice.objects.filter(response=response, deadline__overdue_at__isnull=False)
    assert overdue.count() == response.notices.count()
    client.force_login(people[P.DUTY_OFFICER])
    html = client.get(f"/incidents/{response.incident_id}/").content.decode()
    assert 'data-unit="gaj"' in html and "clock-overdue" in html


def test_liaisons_work_their_group_s_items_only(people, make_user):
    response = approved(people, "II")
    rescue_item = response.checklist.get(task_group__code="rescue", text__contains="关闭")
    fire = make_user(P.UNIT_LIAISON, unit_code="fire")  # 消防: a member of 抢险救援组
    services.checklist_item_updated(actor=fire, item=rescue_item, status="started",
                                    note="已到场")
    rescue_item.refresh_from_db()
    assert (rescue_item.status, rescue_item.note, rescue_item.updated_by) == (
        "started", "已到场", fire)
    media = make_user(P.UNIT_LIAISON, unit_code="rmt")  # 融媒体中心: not in 抢险救援组
    with pytest.raises(PermissionDenied):
        services.checklist_item_updated(actor=media, item=rescue_item, status="done")
    measure = response.checklist.filter(is_measure=True).first()
    with pytest.raises(PermissionDenied):
        services.checklist_item_updated(actor=fire, item=measure, status="done")


def test_ending_needs_the_four_conditions_one_by_one(people):
    response = approved(people, "II")
    deputy = people[P.DEPUTY_COMMANDER]
    for key, _label in CONDITIONS[:3]:
        services.condition_confirmed(actor=people[P.DUTY_OFFICER], response=response,
                                     condition=key)
    with pytest.raises(StateConflict, match="社会秩序"):
        services.response_ended(actor=deputy, response=response)
    services.condition_confirmed(actor=people[P.DUTY_OFFICER], response=response,
                                 condition=CONDITIONS[3][0])
    services.response_ended(actor=deputy, response=response)
    response.refresh_from_db()
    response.incident.refresh_from_db()
    assert response.state == "ended" and response.incident.status == "under_control"


def test_hand_over_to_the_city_is_recorded(people):
    response = approved(people, "I")
    services.response_handed_over(actor=people[P.COMMANDER], response=response,
                                  to="晋城市供热应急指挥部", at=timezone.now())
    response.refresh_from_db()
    assert response.state == "handed_over" and response.handed_over_to == "晋城市供热应急指挥部"
    item = response.checklist.first()
    services.checklist_item_updated(actor=people[P.DUTY_OFFICER], item=item, status="done")


def end(people, response, actor):
    for key, _label in CONDITIONS:
        services.condition_confirmed(actor=people[P.DUTY_OFFICER], response=response,
                                     condition=key)
    services.response_ended(actor=actor, response=response)


@pytest.mark.parametrize("step", ["ended", "handed_over"])
def test_ending_or_handing_over_settles_the_notice_clocks(people, make_user, client, step):
    """A Level Ⅰ ended (or handed over to the city) before its units acknowledged: when the
    15 minutes have passed, no notice goes overdue, nobody is alerted, and the liaisons are
    no longer asked to acknowledge."""
    response = approved(people, "I")
    acknowledged = response.notices.get(unit__code="fire")
    services.notice_acknowledged(actor=make_user(P.UNIT_LIAISON, unit_code="fire"),
                                 notice=acknowledged)
    if step == "ended":
        end(people, response, people[P.COMMANDER])
    else:
        services.response_handed_over(actor=people[P.COMMANDER], response=response,
                                      to="晋城市供热应急指挥部", at=timezone.now())
    alerts_before = Notification.objects.count()
    assert sweep_deadlines(timezone.now() + timedelta(minutes=16)) == (0, 0)
    assert not Event.objects.filter(kind__in=["deadline.overdue", "deadline.reminder"]).exists()
    assert Notification.objects.count() == alerts_before
    assert Deadline.objects.get(notice=acknowledged).state == "met"  # a met clock stays met
    assert {d.state for d in Deadline.objects.filter(notice__response=response)
            .exclude(notice=acknowledged)} == {"cancelled"}

    liaison = make_user(P.UNIT_LIAISON, unit_code="gaj")
    client.force_login(liaison)
    for page in ("/response/unit/", "/command/unit/"):
        html = client.get(page).content.decode()
        assert "response:acknowledge" not in html and "/acknowledge/" not in html, page
    notice = response.notices.get(unit__code="gaj")
    answer = client.post(f"/api/notices/{notice.pk}/acknowledge/")
    assert answer.status_code == 409
    client.force_login(people[P.DUTY_OFFICER])
    html = client.get(f"/incidents/{response.incident_id}/").content.decode()
    assert "clock-overdue" not in html


def test_a_notice_overdue_before_the_end_keeps_its_mark_and_stops_alerting(people):
    response = approved(people, "II")
    sweep_deadlines(timezone.now() + timedelta(minutes=16))
    overdue = Event.objects.filter(kind="deadline.overdue").count()
    assert overdue == response.notices.count()
    end(people, response, people[P.DEPUTY_COMMANDER])
    sweep_deadlines(timezone.now() + timedelta(minutes=30))
    notice_clocks = Deadline.objects.filter(notice__response=response)
    assert Event.objects.filter(kind="deadline.overdue", subject_id__in=[
        str(pk) for pk in notice_clocks.values_list("pk", flat=True)]).count() == overdue
    assert not notice_clocks.filter(overdue_at__isnull=True).exists()  # the mark is history
    assert not Deadline.objects.overdue().filter(notice__response=response).exists()


def test_site_headquarters_is_recorded(people):
    response = approved(people, "II")
    services.site_headquarters_recorded(actor=people[P.DUTY_OFFICER], response=response,
                                        leader="张副县长", place="东街换热站",
                                        set_up_at=timezone.now())
    assert Response.objects.get(pk=response.pk).site_hq_leader == "张副县长"


def test_commander_inbox_shows_only_what_their_authority_decides(people, client):
    incident = report_incident(people[P.DUTY_OFFICER])
    level_one = services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident,
                                           level="I", reason="较大风险")
    client.force_login(people[P.DEPUTY_COMMANDER])
    assert client.get("/response/inbox/").context["proposals"] == []
    client.force_login(people[P.COMMANDER])
    assert [r.pk for r in client.get("/response/inbox/").context["proposals"]] == [level_one.pk]


def report_between_read_and_write(monkeypatch, duty):
    """A continuation report (3 deaths: 较大) filed after the response step has read the
    response and its incident and before it writes: the moment another person's report
    commits in between."""
    real = services.check_transition

    def check_then_report(bound_method, *args, **kwargs):
        incident = bound_method.__self__.incident
        incident_services.continuation_report_filed(
            actor=duty, incident=incident, summary="发现3人死亡", measures="",
            figures=figures_of(incident, deaths=3))
        return real(bound_method, *args, **kwargs)

    monkeypatch.setattr(services, "check_transition", check_then_report)


def test_approving_keeps_a_report_filed_meanwhile_and_records_the_status(people, monkeypatch):
    duty = people[P.DUTY_OFFICER]
    incident = report_incident(duty)
    response = services.response_proposed(actor=duty, incident=incident, level="II",
                                          reason="需要")
    report_between_read_and_write(monkeypatch, duty)
    services.response_approved(actor=people[P.DEPUTY_COMMANDER], response=response)
    incident.refresh_from_db()
    assert (incident.status, incident.deaths, incident.grade) == ("responding", 3, "larger")
    change = Event.objects.get(kind="incident.status_changed", incident=incident)
    assert (change.old, change.new) == ({"status": "reported"}, {"status": "responding"})


def test_ending_keeps_a_report_filed_meanwhile_and_records_the_status(people, monkeypatch):
    response = approved(people, "II")
    for key, _label in CONDITIONS:
        services.condition_confirmed(actor=people[P.DUTY_OFFICER], response=response,
                                     condition=key)
    report_between_read_and_write(monkeypatch, people[P.DUTY_OFFICER])
    services.response_ended(actor=people[P.DEPUTY_COMMANDER], response=response)
    incident = response.incident
    incident.refresh_from_db()
    assert (incident.status, incident.deaths, incident.grade) == ("under_control", 3, "larger")
    assert list(Event.objects.filter(kind="incident.status_changed", incident=incident)
                .values_list("new__status", flat=True)) == ["responding", "under_control"]


EXPECTED_ROUND = {"approvals": ["StateConflict", "ok"], "sweep": "ok", "starts": 1,
                  "measures": 7}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_one_wins(make_user):
    """Repeated 50 times: a commander and a deputy approve the same Level Ⅱ proposal in
    parallel threads, while the deadline sweep runs; exactly one succeeds, the other is told
    of the conflict (409), and exactly one start is on the timeline."""
    rounds = approval_rounds(make_user(P.DUTY_OFFICER), make_user(P.COMMANDER),
                             make_user(P.DEPUTY_COMMANDER), 50)
    assert rounds == [EXPECTED_ROUND] * 50


def test_two_approvers_at_the_same_moment_one_wins_on_the_quick_start_s_sqlite(tmp_path):
    """The same race, 10 times, on the embedded default: a fresh SQLite database with the
    quick start's settings, in a process of its own. Before, 10 of 10 rounds answered
    "database is locked" (a 500) instead of one approval and one conflict."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.approval_race", str(tmp_path / "db.sqlite3"), "10"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120,
        env={**os.environ, "LIVE_CHANNEL_PREFIX": f"zezhou-sqlite-race-{os.getpid()}"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [EXPECTED_ROUND] * 10
