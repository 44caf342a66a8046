"""The county's board (command_room.selectors.county_board) is read whole once, then brought up
to each new event by reading again only the incidents the events since concern. Whatever the
events, the board so kept must equal the board read whole at the same event."""

import pytest

from command_room import selectors
from directory import services as directory_services
from directory.choices import PositionCode
from directory.models import Unit
from incidents import services as incident_services
from response import services as response_services
from response.choices import CONDITIONS
from response.models import ChecklistItem, Notice
from tests.incident_helpers import report_incident
from timeline.selectors import latest_seq

pytestmark = pytest.mark.django_db


def board_fields(board):
    return (board.seq, board.incidents, board.noticed, board.chosen, board.acknowledged,
            board.checklist, [w.pk for w in board.warnings])


def kept_equals_whole():
    kept = selectors.county_board()
    whole = selectors._read_county_board(latest_seq())
    assert board_fields(kept) == board_fields(whole)
    return kept


def test_a_board_kept_up_to_date_equals_one_read_whole(make_user, plan, settings, monkeypatch):
    settings.LIVE_PANELS_SHARED = True
    rereads = []
    reread = selectors._reread
    monkeypatch.setattr(selectors, "_reread", lambda *args: rereads.append(1) or reread(*args))
    duty, commander = make_user(PositionCode.DUTY_OFFICER), make_user(PositionCode.COMMANDER)
    liaison = make_user(PositionCode.UNIT_LIAISON, unit_code="gaj")
    first = report_incident(duty)
    second = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"))
    selectors.county_board()  # read whole: the base every later board starts from
    steps = [
        lambda: report_incident(duty, township=Unit.objects.get(code="tw_xiacun")),
        lambda: response_services.response_started_directly(
            actor=commander, incident=first, level="I", reason="寒潮"),
        lambda: response_services.notice_acknowledged(
            actor=liaison, notice=Notice.objects.get(response__incident=first, unit__code="gaj")),
        lambda: response_services.checklist_item_updated(
            actor=liaison, item=ChecklistItem.objects.filter(
                response__incident=first, task_group__member_units__code="gaj").first(),
            status="done"),
        lambda: incident_services.continuation_report_filed(
            actor=duty, incident=second, summary="续报", measures="抢修",
            figures=dict(second.figures(), households_affected=9000)),
        lambda: response_services.response_level_changed(
            actor=commander, response=first.responses.get(), level="II", reason="好转"),
        *[lambda code=code: response_services.condition_confirmed(
            actor=commander, response=first.responses.get(), condition=code)
          for code, _label in CONDITIONS],
        lambda: response_services.response_ended(actor=commander,
                                                 response=first.responses.get()),
    ]
    for step in steps:
        step()
        board = kept_equals_whole()
    assert len(rereads) == len(steps)  # each brought up to date, none read whole
    assert {row["pk"] for row in board.incidents} >= {first.pk, second.pk}
    assert any(row["households_affected"] == 9000 for row in board.incidents)


def test_an_event_that_is_not_one_incidents_reads_the_board_whole(make_user, plan, settings):
    """A township renamed in the directory changes every row of it: read whole."""
    settings.LIVE_PANELS_SHARED = True
    duty = make_user(PositionCode.DUTY_OFFICER)
    report_incident(duty)
    selectors.county_board()
    unit = Unit.objects.get(code="tw_nancun")
    unit.short_name = "南村新镇"
    directory_services.directory_object_saved(actor=make_user(PositionCode.ADMINISTRATOR),
                                              instance=unit)
    report_incident(duty)  # an incident's event after it
    board = kept_equals_whole()
    assert {row["township"] for row in board.incidents} == {"南村新镇"}
