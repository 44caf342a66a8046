"""Every event kind is declared once (timeline/kinds.py) with its label and payload fields;
appending anything else fails, so the whole suite proves every code path appends declared
events. The static checks here tie the declarations to the code that appends them."""

import ast
from datetime import timedelta
from pathlib import Path

import polib
import pytest
from django.contrib import admin
from django.utils import timezone, translation

from directory import services as directory_services
from directory.admin import ServiceAdmin
from directory.choices import PositionCode
from directory.models import DutyShift, Person, Position, Unit
from early_warnings import services as warning_services
from incidents import services as incident_services
from incidents.models import Figures
from incidents.tasks import sweep
from response import services as response_services
from tests.incident_helpers import figures_of, report_incident
from tests.warning_helpers import complete_draft
from timeline import kinds
from timeline.kinds import UndeclaredEvent, check_event
from timeline.models import Event
from timeline.services import append_event

ROOT = Path(__file__).resolve().parent.parent
P = PositionCode

# Functions that pass their `kind` argument on to append_event, with the suffixes they add.
FORWARDERS = {
    "append_event": ("",),
    "_claim_and_mark": ("",),  # incidents.services: deadline.overdue / deadline.reminder
    "saved_with_event": (".created", ".updated"),
    "deleted_with_event": (".deleted",),
    "related_set_with_event": (".updated",),
    "_delivery_entry": ("",),  # notify.services: notify.delivery.*, for append_events
}


# --- append_event refuses what is not declared -------------------------------------------------


@pytest.mark.django_db
def test_an_undeclared_kind_is_refused_and_nothing_is_written(plan):
    before = Event.objects.count()
    with pytest.raises(UndeclaredEvent, match="'incident.exploded' is not declared"):
        append_event(actor=None, kind="incident.exploded", subject=Unit.objects.first())
    assert Event.objects.count() == before


def test_a_payload_without_a_declared_field_is_refused():
    with pytest.raises(UndeclaredEvent, match=r"'warning.issued'.*new lacks .*channels"):
        check_event("warning.issued", new={"level": "general", "version": 1})
    with pytest.raises(UndeclaredEvent, match=r"old lacks the declared field\(s\) status"):
        check_event("incident.status_changed", old=None, new={"status": "closed"})


def test_an_undeclared_field_is_refused():
    with pytest.raises(UndeclaredEvent, match=r"new carries undeclared field\(s\) colour"):
        check_event("response.ended", new={"level": "II", "colour": "red"})
    with pytest.raises(UndeclaredEvent, match=r"old carries undeclared field\(s\) level"):
        check_event("response.ended", old={"level": "I"}, new={"level": "II"})
    with pytest.raises(UndeclaredEvent, match="must be a dict"):
        check_event("response.ended", new=["level"])


def test_optional_fields_may_be_left_out():
    check_event("incident.figures_changed", old={"deaths": 0}, new={"deaths": 3})
    with pytest.raises(UndeclaredEvent, match="grade"):
        check_event("incident.figures_changed", old={"deaths": 0}, new={"grade": "major"})


def test_a_change_kind_carries_fields_of_its_model_only():
    check_event("directory.shift.updated", old={"note": ""}, new={"note": "夜班"})
    check_event("directory.taskgroup.updated", old={"member_units": []},
                new={"member_units": ["公安局"]})
    with pytest.raises(UndeclaredEvent, match=r"new carries undeclared field\(s\) nickname"):
        check_event("directory.person.created", new={"name": "张三", "nickname": "三"})


def test_every_kind_is_declared_once_with_a_known_shape():
    assert len(kinds.KINDS) == len(kinds.DECLARED)
    for kind in kinds.DECLARED:
        assert kind.name.count(".") >= 1, kind.name
        overlap = set(kind.fields) & set(kind.optional)
        assert not overlap and not set(kind.old_fields) & set(kind.old_optional), kind.name


def test_the_declared_figures_are_the_incident_figures():
    assert list(kinds.FIGURES) == Figures.FIELDS


def test_every_change_kind_names_a_real_model():
    for kind in kinds.DECLARED:
        if kind.changes_of:
            assert kind.model_fields(), kind.name


# --- labels -----------------------------------------------------------------------------------


def msgid_of(label):
    with translation.override(None):
        return str(label)


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_kind_has_a_label_translated_in_both_catalogues(language):
    po = polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))
    translated = {e.msgid for e in po.translated_entries() if not e.fuzzy}
    missing = {k.name: msgid_of(k.label) for k in kinds.DECLARED
               if msgid_of(k.label) not in translated}
    assert missing == {}


def test_labels_are_read_from_the_declaration():
    with translation.override("zh-hans"):
        assert str(kinds.event_label("incident.reported")) != "First report logged"
    with translation.override("en"):
        assert str(kinds.event_label("incident.reported")) == "First report logged"
        assert str(kinds.event_label("directory.shift.created")) == "Directory changed"
        # Events written before the kinds were declared keep a label.
        assert str(kinds.event_label("directory.dutyshift.created")) == "Directory changed"
        assert kinds.event_label("something.else") == "something.else"


# --- the code appends what is declared, and everything declared is appended ------------------


def source_files():
    skip = {".venv", "tests", "migrations", "var", ".git", "node_modules", "static"}
    for path in sorted(ROOT.rglob("*.py")):
        if not skip & set(path.relative_to(ROOT).parts):
            yield path


def called_name(call):
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def literals(node):
    """The strings an expression can be, if it is made of literals; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = literals(node.body), literals(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def scan():
    """(kinds appended with literal names, functions where a kind is not a literal)."""
    appended, dynamic = set(), []
    for path in source_files():
        tree = ast.parse(path.read_text(), filename=str(path))
        parents = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or called_name(call) not in FORWARDERS:
                continue
            for keyword in call.keywords:
                if keyword.arg != "kind":
                    continue
                names = literals(keyword.value)
                if names is None:
                    dynamic.append(enclosing(call, parents))
                    continue
                appended |= {n + suffix for n in names for suffix in FORWARDERS[called_name(call)]}
    return appended, dynamic


def enclosing(node, parents):
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef):
            return node.name
    return None


def admin_change_kinds():
    """Kinds the admin writes through directory.services with the model's declared prefix."""
    written = set()
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ServiceAdmin):
            prefix = kinds.change_prefix(model._meta.label_lower)
            written |= {f"{prefix}.{action}" for action in ("created", "updated", "deleted")}
            for inline in model_admin.inlines:
                prefix = kinds.change_prefix(inline.model._meta.label_lower)
                written |= {f"{prefix}.{a}" for a in ("created", "updated", "deleted")}
    return written


def test_every_kind_appended_in_the_code_is_declared():
    appended, _dynamic = scan()
    assert appended, "the scan found no append_event calls"
    assert sorted(appended - kinds.KINDS.keys()) == []


def test_kinds_are_literals_except_in_the_known_forwarders():
    """A kind made at run time is only allowed where the name comes from a declaration or a
    caller's literal: the forwarders below, and the admin's `_kind_of` (change_prefix)."""
    _appended, dynamic = scan()
    assert sorted(set(dynamic)) == [
        "_fire",  # the deadline sweep (incidents.clocks)
        "deleted_with_event",  # directory.services, with the admin's directory_object_*
        "directory_object_deleted",
        "directory_object_saved",
        "directory_related_set",
        "related_set_with_event",
        "saved_with_event",
    ]


def test_every_declared_kind_is_appended_somewhere():
    appended, _dynamic = scan()
    assert sorted(kinds.KINDS.keys() - appended - admin_change_kinds()) == []


# --- the real services' events pass validation, app by app ----------------------------------


def assert_stored_events_valid():
    for event in Event.objects.all():
        check_event(event.kind, old=event.old, new=event.new)


@pytest.mark.django_db
def test_the_plan_loaders_write_declared_events(plan):
    written = set(Event.objects.values_list("kind", flat=True))
    assert {"directory.unit.created", "directory.position.created",
            "directory.position.updated", "directory.taskgroup.created",
            "directory.taskgroup.updated", "response.playbookitem.created"} <= written
    assert_stored_events_valid()


@pytest.mark.django_db
def test_directory_services_and_the_admin_write_declared_events(make_user, client):
    director = make_user(P.OFFICE_DIRECTOR)
    unit = Unit.objects.get(code="gaj")
    person = directory_services.person_saved(
        actor=director, person=Person(unit=unit, name="王五", mobile="13911112222"),
        positions=[Position.objects.get(code=P.UNIT_LIAISON)])
    person.title = "科长"
    directory_services.person_saved(actor=director, person=person, positions=[])
    now = timezone.now()
    shift = directory_services.shift_scheduled(actor=director, unit=unit, person=person,
                                               starts_at=now, ends_at=now + timedelta(hours=8))
    directory_services.directory_object_deleted(actor=director, instance=shift)
    again = DutyShift(unit=unit, person=person, starts_at=now, ends_at=now + timedelta(hours=4))
    directory_services.directory_object_saved(actor=director, instance=again)
    directory_services.login_locked_out(username="nobody", ip_address="10.0.0.1")
    written = set(Event.objects.values_list("kind", flat=True))
    assert {"directory.person.created", "directory.person.updated", "directory.holding.created",
            "directory.holding.deleted", "directory.shift.created", "directory.shift.deleted",
            "auth.locked_out"} <= written
    # The admin names a shift as the roster page does.
    assert Event.objects.filter(kind="directory.shift.created", subject_id=str(again.pk)).exists()
    assert_stored_events_valid()


@pytest.mark.django_db
def test_incident_services_write_declared_events(make_user):
    duty, director = make_user(P.DUTY_OFFICER), make_user(P.OFFICE_DIRECTOR)
    now = timezone.now()
    incident = report_incident(duty, occurred_at=now - timedelta(hours=2),
                               reported_at=now - timedelta(hours=1))
    incident_services.continuation_report_filed(
        actor=duty, incident=incident, summary="发现伤亡", measures="",
        figures=figures_of(incident, deaths=3))
    incident_services.written_report_saved(actor=duty, incident=incident, contents={},
                                           figures=figures_of(incident, deaths=3))
    incident_services.upward_report_recorded(actor=director, incident=incident,
                                             recipient="county_government", channel="phone",
                                             sent_at=now)
    inquiry = incident_services.inquiry_recorded(actor=director, incident=incident,
                                                 asked_by="市应急局", question="伤亡?",
                                                 asked_at=now - timedelta(minutes=25))
    sweep()  # the written report is overdue, the inquiry's reply due in 5 minutes
    incident_services.inquiry_replied(actor=director, inquiry=inquiry, reply="3人死亡")
    written = set(Event.objects.values_list("kind", flat=True))
    assert {"incident.reported", "report.continuation", "incident.figures_changed",
            "incident.grade_changed", "report.written_draft", "report.passed_up",
            "inquiry.recorded", "inquiry.replied", "deadline.reminder",
            "deadline.overdue"} <= written
    assert_stored_events_valid()


@pytest.mark.django_db
def test_response_services_write_declared_events(make_user):
    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    incident = report_incident(duty)
    response = response_services.response_proposed(actor=duty, incident=incident, level="II",
                                                   reason="需要")
    response = response_services.response_approved(actor=commander, response=response)
    response_services.response_level_changed(actor=commander, response=response, level="I",
                                             reason="扩大")
    notice = response.notices.first()
    liaison = make_user(P.UNIT_LIAISON, unit_code=notice.unit.code)
    response_services.notice_acknowledged(actor=liaison, notice=notice)
    response_services.checklist_item_updated(actor=commander, item=response.checklist.first(),
                                             status="done", note="已完成")
    written = set(Event.objects.values_list("kind", flat=True))
    assert {"response.proposed", "response.started", "response.level_changed",
            "notice.acknowledged", "checklist.updated"} <= written
    assert_stored_events_valid()


@pytest.mark.django_db
def test_warning_services_write_declared_events(make_user):
    duty, commander = make_user(P.DUTY_OFFICER), make_user(P.COMMANDER)
    warning = complete_draft(duty)
    warning_services.warning_submitted(actor=duty, warning=warning)
    warning = warning_services.warning_approved(actor=commander, warning=warning)
    warning_services.warning_channels_set(actor=duty, warning=warning,
                                          channels=list(warning.channels))
    warning_services.warning_updated(actor=commander, warning=warning, level="larger",
                                     townships=[Unit.objects.get(code="tw_nancun")],
                                     places="东街")
    warning_services.warning_lifted(actor=commander, warning=warning, reason="解除")
    written = set(Event.objects.values_list("kind", flat=True))
    assert {"warning.drafted", "warning.submitted", "warning.issued", "warning.channels",
            "warning.updated", "warning.lifted"} <= written
    assert_stored_events_valid()
