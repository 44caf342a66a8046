"""Page actions (the buttons of the incident, response and warning pages) all run through
zezhou_heat.views.page_action: one `next` check, one 403 page, one 409 page, the service given
the form's cleaned data only; and the buttons a person sees are exactly the steps they may
take (the FSM transitions django-fsm allows them, plus the plain writes)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone
from django.utils.html import escape

from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services as warning_services
from early_warnings.models import EarlyWarning
from incidents import services as incident_services
from response import services
from response.choices import CONDITIONS
from response.models import ChecklistItem, Response
from tests.incident_helpers import local, report_incident
from tests.warning_helpers import complete_draft
from zezhou_heat.forms import NoteForm
from zezhou_heat.views import page_action

pytestmark = pytest.mark.django_db
P = PositionCode
EVIL = ["https://evil.example/", "//evil.example/path", "https:/\\evil.example/",
        "javascript:alert(document.cookie)"]


# --- building blocks --------------------------------------------------------------------------


def incident_for_all(users):
    """Seen by every position but the administrator (南村镇, reported by the test enterprise)."""
    return report_incident(users(P.DUTY_OFFICER), reporter_unit=Unit.objects.get(code="ent_demo1"))


def proposed(users, level="II"):
    return services.response_proposed(actor=users(P.DUTY_OFFICER), incident=incident_for_all(users),
                                      level=level, reason="研判需要")


def active(users, level="II", confirmed=4):
    response = proposed(users, level)
    starter = {"I": P.COMMANDER, "II": P.DEPUTY_COMMANDER, "III": P.OFFICE_DIRECTOR}[level]
    services.response_approved(actor=users(starter), response=response)
    for key, _label in CONDITIONS[:confirmed]:
        services.condition_confirmed(actor=users(P.DUTY_OFFICER), response=response,
                                     condition=key)
    return Response.objects.get(pk=response.pk)


def pending_warning(users, level):
    warning = complete_draft(users(P.DUTY_OFFICER), level=level)
    return warning_services.warning_submitted(actor=users(P.DUTY_OFFICER), warning=warning)


def issued_warning(users, level="larger"):
    warning = pending_warning(users, level)
    approver = {"general": P.OFFICE_DIRECTOR, "larger": P.DEPUTY_COMMANDER,
                "major": P.COMMANDER}[level]
    return warning_services.warning_approved(actor=users(approver), warning=warning)


class Undo(Exception):
    def __init__(self, answer):
        self.answer = answer


def usable(client, url, data):
    """Whether this POST would do its step now (a redirect and no error message), tried in a
    savepoint that is rolled back, so the page's other buttons can be tried on the same state."""
    client.cookies.pop("messages", None)  # only this request's messages count
    try:
        with transaction.atomic():
            raise Undo(client.post(url, data))
    except Undo as undo:
        answer = undo.answer
    errors = [m for m in get_messages(answer.wsgi_request) if m.level_tag == "error"]
    return answer.status_code == 302 and not errors


def check_buttons(client, page_url, actions):
    """Every button is shown exactly to those who may use it, on that page."""
    page = client.get(page_url)
    html = page.content.decode() if page.status_code == 200 else ""
    seen = {}
    for url, data in actions:
        shown = f'action="{url}"' in html
        seen[url] = shown
        assert shown == usable(client, url, data), (url, "shown" if shown else "hidden")
    return seen


# --- which buttons a person sees ----------------------------------------------------------------


@pytest.mark.parametrize("position", list(PositionCode))
def test_buttons_on_a_proposed_level_two_response(client, users, position):
    response = proposed(users, "II")
    client.force_login(users(position))
    actions = [(f"/response/{response.pk}/approve/", {"note": ""}),
               (f"/response/{response.pk}/reject/", {"note": ""})]
    seen = check_buttons(client, f"/incidents/{response.incident_id}/", actions)
    assert set(seen.values()) == {position in (P.COMMANDER, P.DEPUTY_COMMANDER)}
    inbox = check_buttons(client, "/response/inbox/", actions)
    assert inbox == seen


@pytest.mark.parametrize("position", list(PositionCode))
def test_buttons_on_an_active_level_two_response(client, users, position):
    response = active(users, "II", confirmed=3)
    client.force_login(users(position))
    pk = response.pk
    at = local(timezone.now())
    seen = check_buttons(client, f"/incidents/{response.incident_id}/", [
        (f"/response/{pk}/change-level/", {"level": "III", "reason": "态势缓和"}),
        (f"/response/{pk}/hand-over/", {"to": "市指挥部", "at": at}),
        (f"/response/{pk}/site-headquarters/", {"leader": "张三", "place": "东街", "set_up_at": at}),
        (f"/response/{pk}/confirm-condition/", {"condition": CONDITIONS[-1][0]}),
        (f"/response/{pk}/end/", {}),  # one condition unconfirmed: nobody may end it yet
    ])
    assert not seen[f"/response/{pk}/end/"]
    leaders = (P.COMMANDER, P.DEPUTY_COMMANDER)
    assert seen[f"/response/{pk}/hand-over/"] == (position in leaders)
    assert seen[f"/response/{pk}/confirm-condition/"] == (
        position in (*leaders, P.OFFICE_DIRECTOR, P.DUTY_OFFICER))


@pytest.mark.parametrize("position", list(PositionCode))
def test_the_end_button_once_the_conditions_are_confirmed(client, users, position):
    response = active(users, "II")
    client.force_login(users(position))
    seen = check_buttons(client, f"/incidents/{response.incident_id}/",
                         [(f"/response/{response.pk}/end/", {})])
    # started by a deputy: the deputy or the commander ends it, not the office director
    assert list(seen.values()) == [position in (P.COMMANDER, P.DEPUTY_COMMANDER)]


@pytest.mark.parametrize("position", list(PositionCode))
def test_buttons_on_a_pending_major_warning(client, users, position):
    warning = pending_warning(users, "major")
    client.force_login(users(position))
    pk = warning.pk
    seen = check_buttons(client, f"/warnings/{pk}/", [
        (f"/warnings/{pk}/approve/", {"note": ""}),
        (f"/warnings/{pk}/reject/", {"note": ""}),
        (f"/warnings/{pk}/report-up/", {"to": "晋城市人民政府", "at": local(timezone.now())}),
        (f"/warnings/{pk}/submit/", {}),
    ])
    assert set(seen.values()) == ({True, False} if position == P.COMMANDER else {False})


@pytest.mark.parametrize("position", list(PositionCode))
def test_buttons_on_a_warning_in_effect_and_a_draft(client, users, position):
    warning = issued_warning(users, "larger")
    client.force_login(users(position))
    pk = warning.pk
    seen = check_buttons(client, f"/warnings/{pk}/", [
        (f"/warnings/{pk}/lift/", {"reason": "风险解除"}),
        (f"/warnings/{pk}/update/", {"level": "larger", "places": "",
                                     "townships": [Unit.objects.get(code="tw_xiacun").pk]}),
        (f"/warnings/{pk}/channels/", {"channels": ["sms"]}),
    ])
    assert seen[f"/warnings/{pk}/lift/"] == (position in (P.COMMANDER, P.DEPUTY_COMMANDER))
    draft = complete_draft(users(P.DUTY_OFFICER))
    seen = check_buttons(client, f"/warnings/{draft.pk}/",
                         [(f"/warnings/{draft.pk}/submit/", {})])
    assert list(seen.values()) == [position in (P.DUTY_OFFICER, P.OFFICE_DIRECTOR)]


@pytest.mark.parametrize("position", list(PositionCode))
def test_incident_status_buttons(client, users, position):
    incident = incident_for_all(users)
    client.force_login(users(position))
    seen = check_buttons(client, f"/incidents/{incident.pk}/", [
        (f"/incidents/{incident.pk}/status/{name}/", {})
        for name in ("begin_response", "bring_under_control", "close")])
    assert seen[f"/incidents/{incident.pk}/status/begin_response/"] == (
        position in (P.COMMANDER, P.DEPUTY_COMMANDER, P.OFFICE_DIRECTOR))
    assert not seen[f"/incidents/{incident.pk}/status/close/"]  # no final report yet


def test_the_office_director_sees_no_approve_on_a_level_two_proposal(client, users):
    response = proposed(users, "II")
    for position, shown in [(P.OFFICE_DIRECTOR, False), (P.DEPUTY_COMMANDER, True)]:
        client.force_login(users(position))
        panel = client.get(f"/incidents/{response.incident_id}/").content.decode()
        panel = panel[panel.index('id="response"'):]
        assert (f"/response/{response.pk}/approve/" in panel) is shown
        assert ("批准</button>" in panel) is shown


# --- next, input, conflicts ---------------------------------------------------------------------


@pytest.mark.parametrize("target", EVIL)
def test_a_warning_action_never_returns_to_another_site(client, users, target):
    warning = pending_warning(users, "larger")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/warnings/{warning.pk}/approve/", {"next": target})
    assert answer.status_code == 302 and answer["Location"] == f"/warnings/{warning.pk}/"
    assert EarlyWarning.objects.get(pk=warning.pk).state == "issued"


@pytest.mark.parametrize("target", EVIL)
def test_a_response_action_never_returns_to_another_site(client, users, target):
    response = proposed(users, "II")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/reject/", {"next": target})
    assert answer["Location"] == f"/incidents/{response.incident_id}/#response"


def test_the_409_page_never_links_to_a_script_or_another_site(client, users):
    """Issue 11, defect 9: lifting a warning that is not in effect, with a hostile `next`."""
    warning = pending_warning(users, "larger")
    client.force_login(users(P.COMMANDER))
    for target in EVIL:
        answer = client.post(f"/warnings/{warning.pk}/lift/", {"next": target, "reason": "解除"})
        assert answer.status_code == 409
        page = answer.content.decode()
        assert 'id="warning-state"' in page  # the warning's own page again, with why
        assert "javascript:" not in page and "evil" not in page


def test_a_page_of_this_site_is_where_it_returns(client, users):
    warning = pending_warning(users, "larger")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/warnings/{warning.pk}/reject/", {"next": "/response/inbox/"})
    assert answer["Location"] == "/response/inbox/"


def test_the_service_gets_the_form_s_cleaned_data_only(users):
    """No raw POST field reaches a service: an unexpected one is dropped, not passed on."""
    calls = []
    request = RequestFactory().post("/x/", {"note": " ok ", "state": "issued", "actor": "x",
                                            "next": "/warnings/"})
    request.user = users(P.DEPUTY_COMMANDER)
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    answer = page_action(request, lambda **kwargs: calls.append(kwargs), NoteForm,
                         back="/", warning="w")
    assert answer.status_code == 302 and answer["Location"] == "/warnings/"
    assert calls == [{"actor": request.user, "warning": "w", "note": "ok"}]


def test_an_unexpected_field_on_a_warning_step_is_ignored(client, users):
    """Submit takes no note: a posted one used to be passed on (a server error)."""
    draft = complete_draft(users(P.DUTY_OFFICER))
    client.force_login(users(P.DUTY_OFFICER))
    answer = client.post(f"/warnings/{draft.pk}/submit/", {"note": "请审批", "level": "general"})
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert (draft.state, draft.level) == ("pending", "larger")


def test_bad_input_is_a_message_naming_the_field_and_nothing_is_saved(client, users):
    response = active(users, "II")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/change-level/", {"level": "I"}, follow=True)
    assert "理由" in [str(m) for m in answer.context["messages"]][0]  # the field, in Chinese
    assert Response.objects.get(pk=response.pk).level == "II"


def test_a_service_refusal_names_the_field_too(client, users):
    response = active(users, "II")
    client.force_login(users(P.DEPUTY_COMMANDER))
    answer = client.post(f"/response/{response.pk}/change-level/",
                         {"level": "II", "reason": "不变"}, follow=True)
    text = [str(m) for m in answer.context["messages"]][0]
    assert text.startswith("调整后级别：")  # "New level", the form's label, in Chinese
    assert response.level_changes.count() == 1


def conflicts(users):
    """One state conflict per family of page actions: (who, url, data)."""
    ended = active(users, "III")
    services.response_ended(actor=users(P.OFFICE_DIRECTOR), response=ended)
    open_one = proposed(users, "III")
    issued = issued_warning(users, "larger")
    notice = active(users, "II").notices.get(unit__code="gaj")  # the test liaison's unit
    services.notice_acknowledged(actor=users(P.UNIT_LIAISON), notice=notice)
    item = ChecklistItem.objects.filter(response=ended).first()
    incident = incident_for_all(users)
    return [
        (P.OFFICE_DIRECTOR, f"/response/{ended.pk}/approve/", {}),
        (P.OFFICE_DIRECTOR, f"/response/{ended.pk}/confirm-condition/",
         {"condition": CONDITIONS[0][0]}),
        (P.DUTY_OFFICER, f"/response/incidents/{open_one.incident_id}/propose/", {"level": "III"}),
        (P.DEPUTY_COMMANDER, f"/warnings/{issued.pk}/approve/", {}),
        (P.DUTY_OFFICER, f"/warnings/{issued.pk}/submit/", {}),
        (P.DUTY_OFFICER, f"/warnings/{issued.pk}/edit/", {"category": "cold_wave",
                                                          "level": "general"}),
        (P.UNIT_LIAISON, f"/response/notices/{notice.pk}/acknowledge/", {}),
        (P.DUTY_OFFICER, f"/response/items/{item.pk}/mark/", {"status": "done"}),
        (P.COMMANDER, f"/incidents/{incident.pk}/status/bring_under_control/", {}),
    ]


def test_a_state_conflict_answers_409_with_the_page_again_on_every_family(client, users):
    """The page the button was on, again, with why (not a dead-end page)."""
    for who, url, data in conflicts(users):
        client.force_login(users(who))
        answer = client.post(url, data)
        assert answer.status_code == 409, (url, answer.status_code)
        page = answer.content.decode()
        form = answer.context.get("form")
        if form is not None and form.non_field_errors():  # a form page: why, above the form
            assert escape(form.non_field_errors()[0]) in page, url
            continue
        errors = [m for m in answer.context["messages"] if m.level_tag == "error"]
        assert len(errors) == 1 and str(errors[0]), url
        assert f'<li class="message error" role="alert">{escape(str(errors[0]))}</li>' in page


def test_no_authority_answers_403_with_who_may_on_the_page_again(client, users):
    response = proposed(users, "II")
    client.force_login(users(P.OFFICE_DIRECTOR))
    answer = client.post(f"/response/{response.pk}/approve/", {"next": "/response/inbox/"})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert "须由指挥长或副指挥长批准。" in page
    assert "<h1>待您审批</h1>" in page  # the inbox it came from


def test_the_403_page_where_the_page_cannot_be_shown_again(client, users):
    """`next` names no page of this site that answers a GET: the styled 403 page, with the
    reason once and the way back."""
    response = proposed(users, "II")
    client.force_login(users(P.OFFICE_DIRECTOR))
    answer = client.post(f"/response/{response.pk}/approve/", {"next": "/no/such/page/"})
    assert answer.status_code == 403
    page = answer.content.decode()
    assert page.count("须由指挥长或副指挥长批准。") == 1
    assert 'href="/no/such/page/"' in page and "无权访问" in page


# --- one service per intent: the draft page's "save and submit" ---------------------------------


def test_save_and_submit_with_an_element_missing_saves_nothing(client, users):
    client.force_login(users(P.DUTY_OFFICER))
    now = timezone.now()
    answer = client.post("/warnings/new/", {
        "category": "cold_wave", "level": "general",
        "townships": [Unit.objects.get(code="tw_nancun").pk],
        "starts_at": local(now), "ends_at": local(now + timedelta(hours=6)),
        "impact": "寒潮降温", "watch_for": "室温下降", "measures": "",  # measures missing
        "issuing_body": "泽州县供热突发事件应急救援指挥部办公室", "source": "own_inspection",
        "submit": "1"})
    assert answer.status_code == 200
    assert "measures" in answer.context["form"].errors  # the field named, on the form
    assert not EarlyWarning.objects.exists()  # nothing half saved, not even a draft


def test_save_and_submit_is_one_service_and_one_event_each(users):
    draft = complete_draft(users(P.DUTY_OFFICER))
    warning = warning_services.warning_drafted_and_submitted(
        actor=users(P.DUTY_OFFICER), warning=draft, townships=[Unit.objects.get(code="tw_xiacun")],
        places="西街")
    assert (warning.state, warning.places) == ("pending", "西街")
    assert list(warning.townships.values_list("code", flat=True)) == ["tw_xiacun"]


def test_an_incident_status_conflict_is_no_longer_a_flash_message(client, users):
    incident = incident_for_all(users)
    incident_services.incident_status_changed(actor=users(P.COMMANDER), incident=incident,
                                              transition="begin_response")
    client.force_login(users(P.COMMANDER))
    answer = client.post(f"/incidents/{incident.pk}/status/begin_response/")
    assert answer.status_code == 409
