"""Pages that explain themselves (issue 12): a refusal names who may act, and so does the
place of a button hidden for want of authority; what was typed survives a refusal; the
approver who loses a race is told who decided and when; every page action confirms what it
did."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.html import escape

from directory.choices import PositionCode
from directory.models import TaskGroup, Unit
from early_warnings import services as warning_services
from incidents import services as incident_services
from response import services
from response.choices import CONDITIONS
from response.models import Response
from tests.conftest import seeded
from tests.incident_helpers import local, report_incident
from tests.test_page_actions import incident_for_all, issued_warning, pending_warning
from tests.warning_helpers import complete_draft
from timeline.models import Event

pytestmark = pytest.mark.django_db
P = PositionCode
LEADERS = {P.COMMANDER: 3, P.DEPUTY_COMMANDER: 2, P.OFFICE_DIRECTOR: 1}
STARTER = {"I": P.COMMANDER, "II": P.DEPUTY_COMMANDER, "III": P.OFFICE_DIRECTOR}
SEES_NO_INCIDENT = {P.ADMINISTRATOR}
SEES_NO_PENDING_WARNING = {P.ADMINISTRATOR, P.TOWNSHIP_OFFICER, P.ENTERPRISE_REPORTER}


def proposal(users, level):
    return services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident_for_all(users),
                                      level=level, reason="研判需要")


def active(users, level, starter=None, confirmed=True):
    if starter is None:
        response = proposal(users, level)
        services.response_approved(actor=users(STARTER[level]), response=response)
    else:
        response = services.response_started_directly(
            actor=users(starter), incident=incident_for_all(users), level=level, reason="研判需要")
    for key, _label in CONDITIONS if confirmed else ():
        services.condition_confirmed(actor=users(P.DUTY_OFFICER), response=response,
                                     condition=key)
    return Response.objects.get(pk=response.pk)


# Each refusal kind: what is tried, who may, and what a refused person is told (in Chinese).
KINDS = {
    "approve I": (lambda u: proposal(u, "I"), "/response/{pk}/approve/", {},
                  {P.COMMANDER}, "须由指挥长批准。"),
    "approve II": (lambda u: proposal(u, "II"), "/response/{pk}/approve/", {},
                   {P.COMMANDER, P.DEPUTY_COMMANDER}, "须由指挥长或副指挥长批准。"),
    "approve III": (lambda u: proposal(u, "III"), "/response/{pk}/approve/", {},
                    set(LEADERS), "须由指挥长、副指挥长或指挥部办公室主任批准。"),
    "reject II": (lambda u: proposal(u, "II"), "/response/{pk}/reject/", {},
                  {P.COMMANDER, P.DEPUTY_COMMANDER}, "须由指挥长或副指挥长决定。"),
    "change II to I": (lambda u: active(u, "II"), "/response/{pk}/change-level/",
                       {"level": "I", "reason": "需市级支援"}, {P.COMMANDER},
                       "调整为Ⅰ级响应须由指挥长决定。"),
    "end II started by a deputy": (lambda u: active(u, "II"), "/response/{pk}/end/", {},
                                   {P.COMMANDER, P.DEPUTY_COMMANDER},
                                   "须由指挥长或副指挥长结束本次响应（谁启动、谁负责）。"),
    "end III started by the commander": (lambda u: active(u, "III", starter=P.COMMANDER),
                                         "/response/{pk}/end/", {}, {P.COMMANDER},
                                         "须由指挥长结束本次响应（谁启动、谁负责）。"),
    "hand over I": (lambda u: active(u, "I"), "/response/{pk}/hand-over/",
                    {"to": "市指挥部", "at": "NOW"}, {P.COMMANDER}, "移交指挥须由指挥长记录。"),
    "start II directly": (lambda u: incident_for_all(u), "/response/incidents/{pk}/propose/",
                          {"level": "II", "reason": "研判需要", "direct": "1"},
                          {P.COMMANDER, P.DEPUTY_COMMANDER},
                          "Ⅱ级响应须由指挥长或副指挥长启动。"),
    "propose": (lambda u: incident_for_all(u), "/response/incidents/{pk}/propose/",
                {"level": "II", "reason": "研判需要"}, {P.OFFICE_DIRECTOR, P.DUTY_OFFICER},
                "响应级别建议须由指挥部办公室主任或值班员提出。"),
    "approve a major warning": (lambda u: pending_warning(u, "major"),
                                "/warnings/{pk}/approve/", {}, {P.COMMANDER}, "须由指挥长批准。"),
    "approve a general warning": (lambda u: pending_warning(u, "general"),
                                  "/warnings/{pk}/approve/", {}, set(LEADERS),
                                  "须由指挥长、副指挥长或指挥部办公室主任批准。"),
    "lift a larger warning": (lambda u: issued_warning(u, "larger"), "/warnings/{pk}/lift/",
                              {"reason": "风险解除"}, {P.COMMANDER, P.DEPUTY_COMMANDER},
                              "须由指挥长或副指挥长解除（谁发布、谁解除）。"),
}


def unseen(kind, position):
    """Positions that do not see the object at all (404: a matter of sight, not authority)."""
    if "warning" in kind:  # an issued one is public; a pending one the county's own
        return "approve" in kind and position in SEES_NO_PENDING_WARNING
    return position in SEES_NO_INCIDENT


class TestEveryRefusalNamesWhoMayAct:
    """Every kind × every position, each case in a savepoint over objects made once."""

    @pytest.fixture(scope="class")
    def world(self, django_db_setup, django_db_blocker):
        with seeded(django_db_blocker) as seed:
            yield seed, {kind: make(seed.user).pk for kind, (make, *_rest) in KINDS.items()}

    @pytest.mark.parametrize("kind", list(KINDS))
    @pytest.mark.parametrize("position", list(PositionCode))
    def test_refused_with_who_may_or_done(self, client, world, kind, position):
        seed, objects = world
        _make, url, data, allowed, sentence = KINDS[kind]
        data = {k: (local(timezone.now()) if v == "NOW" else v) for k, v in data.items()}
        seed.log_in(client, position)
        events_before = Event.objects.count()
        answer = client.post(url.format(pk=objects[kind]), data)
        if unseen(kind, position):
            assert answer.status_code == 404
        elif position in allowed:
            assert answer.status_code == 302, answer.content.decode()[-600:]
        else:
            assert answer.status_code == 403
            assert sentence in answer.content.decode()
            assert Event.objects.count() == events_before


def test_the_place_of_a_hidden_approve_button_says_who_may(client, users):
    response = proposal(users, "II")
    for position in PositionCode:
        if position in SEES_NO_INCIDENT:
            continue
        client.force_login(users(position))
        page = client.get(f"/incidents/{response.incident_id}/").content.decode()
        panel = page[page.index('id="response"'):]
        shown = f'action="/response/{response.pk}/approve/"' in panel
        said = '<p class="who-may">须由指挥长或副指挥长批准。</p>' in panel
        assert shown != said, position  # one or the other, never both, never neither
        assert shown == (position in (P.COMMANDER, P.DEPUTY_COMMANDER)), position


def test_the_office_director_is_told_who_ends_and_who_changes_to_level_one(client, users):
    response = active(users, "II")
    client.force_login(users(P.OFFICE_DIRECTOR))
    panel = client.get(f"/incidents/{response.incident_id}/").content.decode()
    assert f'action="/response/{response.pk}/end/"' not in panel
    assert "须由指挥长或副指挥长结束本次响应（谁启动、谁负责）。" in panel
    assert "调整响应级别须由指挥长或副指挥长决定。" in panel
    client.force_login(users(P.DEPUTY_COMMANDER))  # may change to Ⅲ, not to Ⅰ
    panel = client.get(f"/incidents/{response.incident_id}/").content.decode()
    options = re.findall(r'<option value="(I+)"', panel[panel.index("change-level"):])
    assert options == ["III"]
    assert "调整为Ⅰ级响应须由指挥长决定。" in panel


def test_no_level_to_change_to_means_no_form_only_who_may(client, users):
    response = active(users, "III", confirmed=False)  # the office director's level
    client.force_login(users(P.OFFICE_DIRECTOR))
    panel = client.get(f"/incidents/{response.incident_id}/").content.decode()
    assert f'action="/response/{response.pk}/change-level/"' not in panel
    assert "调整为Ⅰ级响应须由指挥长决定。" in panel
    assert "调整为Ⅱ级响应须由指挥长或副指挥长决定。" in panel


def test_start_directly_says_which_levels_need_someone_else(client, users):
    incident = incident_for_all(users)
    client.force_login(users(P.OFFICE_DIRECTOR))
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Ⅰ级响应须由指挥长启动。" in page
    assert "Ⅱ级响应须由指挥长或副指挥长启动。" in page
    assert "Ⅲ级响应须由" not in page  # the office director starts Level Ⅲ


def test_the_warning_page_says_who_approves_and_who_lifts(client, users):
    pending = pending_warning(users, "major")
    lifted_by_deputy = issued_warning(users, "larger")
    client.force_login(users(P.OFFICE_DIRECTOR))
    assert "须由指挥长批准。" in client.get(f"/warnings/{pending.pk}/").content.decode()
    page = client.get(f"/warnings/{lifted_by_deputy.pk}/").content.decode()
    assert "须由指挥长或副指挥长解除（谁发布、谁解除）。" in page
    assert 'id="lift-warning"' not in page


def test_who_may_reads_as_a_sentence_in_english(client, users):
    response = proposal(users, "II")
    client.cookies["django_language"] = "en"
    client.force_login(users(P.OFFICE_DIRECTOR))
    page = client.get(f"/incidents/{response.incident_id}/").content.decode()
    assert "Needs approval by the commander or a deputy commander." in page
    answer = client.post(f"/response/{response.pk}/approve/")
    assert answer.status_code == 403
    assert "Needs approval by the commander or a deputy commander." in answer.content.decode()


# --- what was typed survives a refusal ---------------------------------------------------------


def test_the_deputy_s_typed_reason_for_level_one_survives_the_refusal(client, users):
    response = active(users, "II", confirmed=False)
    client.force_login(users(P.DEPUTY_COMMANDER))
    reason = "两处主管网同时爆裂，需市级支援"
    answer = client.post(f"/response/{response.pk}/change-level/",
                         {"level": "I", "reason": reason})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "调整为Ⅰ级响应须由指挥长决定。" in page
    assert f'name="reason" value="{reason}"' in page  # in the form, to pass on or change
    assert "<details open>" in page
    assert Response.objects.get(pk=response.pk).level == "II"


def test_what_was_typed_comes_back_escaped(client, users):
    response = active(users, "II", confirmed=False)
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/change-level/",
                         {"level": "I", "reason": '"><script>alert(1)</script>'})
    page = answer.content.decode()
    assert answer.status_code == 403 and "<script>alert(1)" not in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_a_refused_direct_start_keeps_level_reason_and_groups(client, users):
    incident = incident_for_all(users)
    groups = [str(pk) for pk in TaskGroup.objects.values_list("pk", flat=True)[1:3]]
    client.force_login(users(P.OFFICE_DIRECTOR))
    answer = client.post(f"/response/incidents/{incident.pk}/propose/", {
        "level": "I", "reason": "群众聚集，需县里统一指挥", "task_groups": groups,
        "direct": "1"})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "Ⅰ级响应须由指挥长启动。" in page
    assert ">群众聚集，需县里统一指挥</textarea>" in page
    assert re.search(r'name="level" value="I" checked', page)
    assert not re.search(r'name="level" value="II" checked', page)  # not the suggestion
    checked = re.findall(r'name="task_groups" value="(\d+)" checked', page)
    assert checked == groups
    assert not Response.objects.exists()


def test_bad_input_keeps_what_was_typed_and_names_the_field(client, users):
    response = active(users, "II", confirmed=False)
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/change-level/",
                         {"level": "II", "reason": "态势未变"})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "调整后级别：" in page  # the field, named as the form names it
    assert 'name="reason" value="态势未变"' in page


def test_a_refused_lift_keeps_its_reason_on_the_warning_page(client, users):
    warning = issued_warning(users, "larger")
    warning_services.warning_lifted(actor=users(P.DEPUTY_COMMANDER), warning=warning,
                                    reason="已抢修")
    client.force_login(users(P.COMMANDER))
    answer = client.post(f"/warnings/{warning.pk}/lift/", {"reason": "抢修完成，恢复供热"})
    assert answer.status_code == 409  # lifted meanwhile: the page says so, in its state
    assert 'id="warning-state">已解除' in answer.content.decode()


def test_a_refused_warning_update_keeps_its_form(client, users):
    """A deputy raising a 较大 warning to 重大以上 (the commander's): refused, the form as typed."""
    warning = issued_warning(users, "larger")
    xiacun = Unit.objects.get(code="tw_xiacun")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/warnings/{warning.pk}/update/", {
        "level": "major", "townships": [xiacun.pk], "places": "西街至北环一带",
        "note": "管网二次爆裂"})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "调整为重大以上风险预警须由指挥长决定。" in page
    assert 'value="西街至北环一带"' in page and 'value="管网二次爆裂"' in page
    assert re.search(r'<option value="major" selected>', page)


# --- the approver who loses a race ------------------------------------------------------------


def test_the_second_approver_is_told_who_approved_and_when(client, users):
    response = proposal(users, "II")
    commander = users(P.COMMANDER)
    services.response_approved(actor=commander, response=response)
    at = timezone.localtime(Response.objects.get(pk=response.pk).started_at).strftime("%H:%M")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/approve/",
                         {"next": f"/response/inbox/?decided=response-{response.pk}"})
    assert answer.status_code == 409
    text = f"已由 {commander.person.name}（指挥长）于 {at} 批准。"
    assert escape(text) in answer.content.decode()


def test_the_loser_of_a_reject_race_is_told_who_rejected(client, users):
    response = proposal(users, "II")
    deputy = users(P.DEPUTY_COMMANDER)
    services.response_rejected(actor=deputy, response=response)
    client.force_login(users(P.COMMANDER))
    answer = client.post(f"/response/{response.pk}/approve/")
    assert answer.status_code == 409
    assert f"已由 {deputy.person.name}（副指挥长）于 " in answer.content.decode()
    assert " 驳回。" in answer.content.decode()


def test_the_second_approver_of_a_warning_is_told_who_issued_it(client, users):
    warning = pending_warning(users, "larger")
    deputy = users(P.DEPUTY_COMMANDER)
    warning_services.warning_approved(actor=deputy, warning=warning)
    client.force_login(users(P.COMMANDER))
    answer = client.post(f"/warnings/{warning.pk}/approve/")
    assert answer.status_code == 409
    assert f"已由 {deputy.person.name}（副指挥长）于 " in answer.content.decode()


# --- a confirmation after every action ---------------------------------------------------------


def done(answer):
    return [str(m) for m in get_messages(answer.wsgi_request) if m.level_tag == "success"]


def confirmation_cases(users):
    """(who, url, data, the confirmation's first words) for every kind of page action."""
    ended = active(users, "III")
    checklist = active(users, "II")
    notice = checklist.notices.get(unit__code="gaj")  # the test liaison's unit
    item = checklist.checklist.filter(task_group__isnull=True).first()
    draft = complete_draft(users(P.DUTY_OFFICER))
    larger = issued_warning(users, "larger")
    now = local(timezone.now())
    return [
        (P.DUTY_OFFICER, f"/response/incidents/{incident_for_all(users).pk}/propose/",
         {"level": "II", "reason": "研判需要"}, "提议应急响应级别："),
        (P.DEPUTY_COMMANDER, f"/response/{proposal(users, 'II').pk}/approve/", {},
         "启动应急响应："),
        (P.DEPUTY_COMMANDER, f"/response/{proposal(users, 'II').pk}/reject/", {},
         "响应提议被驳回："),
        (P.COMMANDER, f"/response/incidents/{incident_for_all(users).pk}/propose/",
         {"level": "I", "reason": "研判需要", "direct": "1"}, "启动应急响应："),
        (P.OFFICE_DIRECTOR, f"/response/{ended.pk}/end/", {}, "终止应急响应："),
        (P.COMMANDER, f"/response/{checklist.pk}/change-level/",
         {"level": "I", "reason": "需市级支援"}, "调整响应级别："),
        (P.DUTY_OFFICER, f"/response/{active(users, 'III', confirmed=False).pk}/confirm-condition/",
         {"condition": CONDITIONS[0][0]}, "确认响应终止条件："),
        (P.DEPUTY_COMMANDER, f"/response/{active(users, 'II').pk}/hand-over/",
         {"to": "市指挥部", "at": now}, "移交指挥处置权："),
        (P.UNIT_LIAISON, f"/response/notices/{notice.pk}/acknowledge/", {}, "确认收到通知："),
        (P.DUTY_OFFICER, f"/response/items/{item.pk}/mark/", {"status": "done"}, "更新任务清单："),
        (P.DUTY_OFFICER, f"/warnings/{draft.pk}/submit/", {}, "预警已提交审批："),
        (P.DEPUTY_COMMANDER, f"/warnings/{pending_warning(users, 'larger').pk}/approve/", {},
         "预警已发布："),
        (P.DEPUTY_COMMANDER, f"/warnings/{pending_warning(users, 'larger').pk}/reject/", {},
         "预警未获批准："),
        (P.DEPUTY_COMMANDER, f"/warnings/{larger.pk}/lift/", {"reason": "风险解除"},
         "预警已解除："),
        (P.COMMANDER, f"/incidents/{incident_for_all(users).pk}/status/begin_response/", {},
         "状态变更："),
    ]


def test_every_kind_of_page_action_confirms_what_it_did(client, users):
    for who, url, data, words in confirmation_cases(users):
        client.force_login(users(who))
        answer = client.post(url, data)
        assert answer.status_code == 302, (url, answer.status_code)
        assert [text for text in done(answer) if text.startswith(words)], (url, done(answer))
        page = client.get(answer["Location"]).content.decode()
        assert re.search(r'<ul class="messages" role="status">\s*<li class="message success">'
                         + re.escape(escape(done(answer)[-1])), page), url


def test_form_pages_that_write_confirm_too(client, users):
    """Writes outside page_action (the warning draft, an inquiry's reply) confirm alike."""
    duty = users(P.DUTY_OFFICER)
    client.force_login(duty)
    now = timezone.now()
    answer = client.post("/warnings/new/", {
        "category": "cold_wave", "level": "general",
        "townships": [Unit.objects.get(code="tw_nancun").pk],
        "starts_at": local(now), "ends_at": local(now + timedelta(hours=6)),
        "impact": "寒潮降温", "watch_for": "室温下降", "measures": "关好门窗",
        "issuing_body": "泽州县供热突发事件应急救援指挥部办公室", "source": "own_inspection"})
    assert answer.status_code == 302
    assert [text for text in done(answer) if text.startswith("预警草稿已创建：")]
    incident = incident_for_all(users)
    inquiry = incident_services.inquiry_recorded(actor=duty, incident=incident,
                                                 asked_by="市住建局", asked_at=now,
                                                 question="伤亡情况？")
    answer = client.post(f"/incidents/{incident.pk}/inquiries/{inquiry.pk}/reply/",
                         {"reply": "1人烫伤，已送医"})
    assert answer.status_code == 302
    assert [text for text in done(answer) if text.startswith("催报/核实已回复：")]


def test_the_confirmation_names_the_subject(client, users):
    response = proposal(users, "II")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/approve/")
    incident = response.incident
    assert done(answer) == [f"启动应急响应：#{incident.pk} 南村镇：经副指挥长批准，启动Ⅱ级响应；"
                            f"已通知{response.notices.count()}个单位"]


def test_a_refusal_confirms_nothing(client, users):
    response = proposal(users, "II")
    client.force_login(users(P.OFFICE_DIRECTOR))
    answer = client.post(f"/response/{response.pk}/approve/")
    assert answer.status_code == 403 and done(answer) == []


# --- the decisions inbox ---------------------------------------------------------------------


def waited(obj, field, minutes):
    type(obj).objects.filter(pk=obj.pk).update(**{field: timezone.now() - timedelta(
        minutes=minutes)})


def test_the_inbox_puts_the_most_severe_first_then_the_longest_waiting(client, users):
    duty = users(P.DUTY_OFFICER)

    def proposed(level, minutes, **figures):
        response = services.response_proposed(
            actor=duty, incident=incident_for_all_with(users, **figures), level=level,
            reason="研判需要")
        waited(response, "proposed_at", minutes)
        return response

    level_three_oldest = proposed("III", 50)
    level_two_recent = proposed("II", 5)
    level_two_older = proposed("II", 30)
    level_two_with_a_death = proposed("II", 1, deaths=1)
    level_one = proposed("I", 2, serious_injuries=3)
    major = pending_warning(users, "major")
    waited(major, "submitted_at", 40)
    general = pending_warning(users, "general")
    client.force_login(users(P.COMMANDER))
    page = client.get("/response/inbox/").content.decode()
    cards = re.findall(r'class="card proposal-card" data-(response|warning)="(\d+)"', page)
    assert cards == [
        ("response", str(level_one.pk)),  # Ⅰ with 3 seriously injured, before …
        ("warning", str(major.pk)),  # … a 重大以上 warning waiting longer, with no casualties
        ("response", str(level_two_with_a_death.pk)),  # a death first within Ⅱ
        ("response", str(level_two_older.pk)),  # then the longest waiting
        ("response", str(level_two_recent.pk)),
        ("response", str(level_three_oldest.pk)),  # Ⅲ last, however long it waited
        ("warning", str(general.pk)),
    ]


def incident_for_all_with(users, **figures):
    return report_incident(users(P.DUTY_OFFICER), reporter_unit=Unit.objects.get(code="ent_demo1"),
                           **figures)


def test_an_inbox_card_shows_casualties_households_and_waiting(client, users):
    incident = incident_for_all_with(users, deaths=1, serious_injuries=3, households_affected=2800)
    response = services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident,
                                          level="II", reason="研判需要")
    waited(response, "proposed_at", 12)
    client.force_login(users(P.COMMANDER))
    page = client.get("/response/inbox/").content.decode()
    card = page[page.index(f'data-response="{response.pk}"'):]
    card = card[:card.index("</section>")]
    assert "死亡1人、重伤3人" in card
    assert "2800户停暖" in card
    assert re.search(r"已等待 12\s分钟", card)  # Django puts a no-break space there


def test_after_approving_from_the_inbox_the_card_says_so_in_its_place(client, users):
    first = proposal(users, "II")
    second = proposal(users, "II")
    waited(first, "proposed_at", 20)  # the first card, of two
    deputy = users(P.DEPUTY_COMMANDER)
    client.force_login(deputy)
    inbox = client.get("/response/inbox/").content.decode()
    next_url = f"/response/inbox/?decided=response-{first.pk}"
    assert f'name="next" value="{next_url}"' in inbox
    answer = client.post(f"/response/{first.pk}/approve/", {"next": next_url}, follow=True)
    page = answer.content.decode()
    cards = re.findall(r'class="card (proposal-card|decided-card)" data-response="(\d+)"', page)
    assert cards == [("decided-card", str(first.pk)), ("proposal-card", str(second.pk))]
    at = timezone.localtime(Response.objects.get(pk=first.pk).started_at).strftime("%H:%M")
    assert f"已由 {deputy.person.name}（副指挥长）于 {at} 批准。" in page
    assert "启动应急响应：" in page  # the confirmation, at the top
