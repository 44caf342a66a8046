"""Who is told what (notify.causes, notify.rules): approval requests to whoever may decide,
clocks to the office on call, warnings by level, a level change and an end to the units
notified; each text short enough for one SMS segment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from directory.choices import PositionCode
from directory.models import Unit
from early_warnings import services as warning_services
from incidents.clocks import sweep_deadlines
from notify import services
from notify.choices import MessageKind
from notify.models import Delivery, Message, RecipientRule
from notify.sms_text import segments
from response import services as response_services
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft

pytestmark = pytest.mark.django_db
P = PositionCode


@pytest.fixture
def people(make_user):
    """One holder of each position (the liaison of 县公安局, the officer of 南村镇)."""
    return {p: make_user(p) for p in P}


def told(kind):
    """{person's position code: channel} of the deliveries of the one message of `kind`."""
    message = Message.objects.get(kind=kind)
    return message, {d.person.holdings.get().position.code: d.channel
                     for d in Delivery.objects.filter(message=message).select_related("person")}


def test_the_plan_s_default_rules_are_loaded_for_every_kind():
    assert set(RecipientRule.objects.values_list("kind", flat=True)) == set(MessageKind.values)


def test_a_level_one_proposal_asks_the_commander_with_a_link_to_the_inbox(people):
    incident = report_incident(people[P.DUTY_OFFICER])
    response_services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident,
                                        level="I", reason="万户停暖")
    message, recipients = told(MessageKind.APPROVAL)
    assert recipients == {P.COMMANDER: "sms"}
    assert message.text.endswith("/response/inbox/") and "Ⅰ级响应" in message.text


def test_a_level_two_proposal_asks_the_commander_and_the_deputies(people):
    incident = report_incident(people[P.DUTY_OFFICER])
    response_services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident,
                                        level="II", reason="")
    _message, recipients = told(MessageKind.APPROVAL)
    assert recipients == {P.COMMANDER: "sms", P.DEPUTY_COMMANDER: "sms"}


def test_a_submitted_general_warning_asks_whoever_may_approve_it(people):
    draft = complete_draft(people[P.OFFICE_DIRECTOR], level="general")
    warning_services.warning_submitted(actor=people[P.OFFICE_DIRECTOR], warning=draft)
    _message, recipients = told(MessageKind.APPROVAL)
    assert recipients == {P.COMMANDER: "sms", P.DEPUTY_COMMANDER: "sms",
                          P.OFFICE_DIRECTOR: "sms"}


def test_the_written_report_clock_is_told_to_the_office_on_call(people):
    report_incident(people[P.DUTY_OFFICER])
    sweep_deadlines(timezone.now() + timedelta(minutes=21))
    assert not Message.objects.exists()  # not in the clock's own transaction
    services.clock_alerts_created()
    message, recipients = told(MessageKind.CLOCK_REMINDER)
    assert recipients == {P.OFFICE_DIRECTOR: "sms", P.DUTY_OFFICER: "sms"}
    assert "书面报告须于" in message.text
    sweep_deadlines(timezone.now() + timedelta(minutes=31))
    assert services.clock_alerts_created() and not services.clock_alerts_created()  # once
    message, recipients = told(MessageKind.CLOCK_OVERDUE)
    assert recipients == {P.OFFICE_DIRECTOR: "sms", P.DUTY_OFFICER: "sms"}
    assert "已超时" in message.text


def test_a_larger_warning_goes_to_the_units_the_area_the_office_and_the_leaders(people):
    draft = complete_draft(people[P.OFFICE_DIRECTOR], level="larger")
    warning = warning_services.warning_submitted(actor=people[P.OFFICE_DIRECTOR], warning=draft)
    warning_services.warning_approved(actor=people[P.COMMANDER], warning=warning)
    message, recipients = told(MessageKind.WARNING)
    assert recipients == {P.UNIT_LIAISON: "sms", P.TOWNSHIP_OFFICER: "sms",  # 南村镇 is in it
                          P.OFFICE_DIRECTOR: "sms", P.DUTY_OFFICER: "sms",
                          P.COMMANDER: "sms", P.DEPUTY_COMMANDER: "sms"}
    assert "较大风险预警" in message.text and "南村" in message.text


def test_a_general_warning_outside_a_township_does_not_go_to_its_officer_nor_the_leaders(people):
    draft = complete_draft(people[P.OFFICE_DIRECTOR], level="general",
                           townships=[Unit.objects.get(code="tw_gaodu")])
    warning = warning_services.warning_submitted(actor=people[P.OFFICE_DIRECTOR], warning=draft)
    warning_services.warning_approved(actor=people[P.OFFICE_DIRECTOR], warning=warning)
    _message, recipients = told(MessageKind.WARNING)
    assert recipients == {P.UNIT_LIAISON: "sms", P.OFFICE_DIRECTOR: "sms", P.DUTY_OFFICER: "sms"}


def test_a_level_change_and_the_end_are_told_to_the_units_notified(people):
    incident = report_incident(people[P.DUTY_OFFICER])
    response = response_services.response_started_directly(
        actor=people[P.COMMANDER], incident=incident, level="I", reason="万户停暖")
    response_services.response_level_changed(actor=people[P.COMMANDER], response=response,
                                             level="II", reason="险情缓解")
    message, recipients = told(MessageKind.LEVEL_CHANGE)
    assert recipients == {P.UNIT_LIAISON: "sms"}
    assert "由Ⅰ级响应调整为Ⅱ级响应" in message.text


def test_every_text_fits_one_sms_segment(people):
    incident = report_incident(people[P.DUTY_OFFICER])
    response_services.response_proposed(actor=people[P.DUTY_OFFICER], incident=incident,
                                        level="II", reason="")
    response = response_services.response_approved(
        actor=people[P.COMMANDER], response=incident.responses.get())
    response_services.response_level_changed(actor=people[P.COMMANDER], response=response,
                                             level="I", reason="险情扩大")
    sweep_deadlines(timezone.now() + timedelta(minutes=31))
    services.clock_alerts_created()
    draft = complete_draft(people[P.OFFICE_DIRECTOR], level="larger")
    warning = warning_services.warning_submitted(actor=people[P.OFFICE_DIRECTOR], warning=draft)
    warning_services.warning_approved(actor=people[P.COMMANDER], warning=warning)
    texts = dict(Message.objects.values_list("text", "kind"))
    assert {MessageKind.ACTIVATION, MessageKind.APPROVAL, MessageKind.LEVEL_CHANGE,
            MessageKind.CLOCK_OVERDUE, MessageKind.WARNING} <= set(texts.values())
    for text, kind in texts.items():
        if kind != MessageKind.APPROVAL:  # the inbox link's length is the county's address
            assert segments(text) == 1, (kind, len(text), text)
