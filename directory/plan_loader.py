"""Writes the plan's organisation (directory/plan_data/plan.json, taken from the plan) and
the authority table (directory/authority.py) into the database.

Idempotent: existing rows are left as administrators edited them unless `update=True`;
position permissions always follow the authority table, because authority is the plan's,
not an administrator's, to change."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.models import Permission
from django.db import transaction
from django.dispatch import Signal

from directory.authority import POSITION_PERMISSIONS
from directory.choices import PositionCode
from directory.models import Position, TaskGroup, Unit
from directory.services import SYSTEM, related_set_with_event, saved_with_event

PLAN_FILE = Path(__file__).parent / "plan_data" / "plan.json"

# Sent inside load_plan's transaction once the organisation is written, so that apps built
# on it (response: the §4.5 playbooks) load their part of the plan; keyword: report.
plan_loaded = Signal()


@dataclass
class LoadReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)

    def count(self, created, changed, label):
        if created:
            self.created.append(label)
        elif changed:
            self.updated.append(label)


def read_plan(path=PLAN_FILE):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@transaction.atomic
def load_plan(*, plan=None, update=False):
    plan = plan or read_plan()
    report = LoadReport()
    for order, data in enumerate(plan["units"], start=1):
        _load_unit(data, order, update, report)
    for data in plan.get("retired_units", []):
        _retire_unit(data, report)
    plan_positions = {p["code"]: p for p in plan["positions"]}
    for order, code in enumerate(PositionCode, start=1):
        _load_position(code, plan_positions.get(code, {}), order, update, report)
    for data in plan["task_groups"]:
        _load_task_group(data, update, report)
    plan_loaded.send(sender=load_plan, report=report)
    return report


def _apply(instance, values, update):
    created = instance.pk is None
    if created or update:
        for name, value in values.items():
            setattr(instance, name, value)
    return created


def _load_unit(data, order, update, report):
    unit = Unit.objects.filter(code=data["code"]).first() or Unit(code=data["code"])
    seat = data.get("seat", {})
    geography = {
        "division_code": data.get("division_code", ""),
        "seat_latitude": seat.get("lat"),
        "seat_longitude": seat.get("lon"),
    }
    created = _apply(unit, {
        "name": data["name"],
        "short_name": data["short_name"],
        "kind": data["kind"],
        "duties": data["duties"],
        "duty_phone": data.get("duty_phone", ""),
        "plan_section": data.get("section", ""),
        "is_demo": bool(data.get("demo")),
        "order": order,
        **geography,
    }, update)
    # Fields the plan data gained later (a database loaded before them): filled where empty.
    filled = not (created or update) and _fill_empty(unit, geography)
    changed = (created or update or filled) and saved_with_event(
        actor=SYSTEM, instance=unit, kind="directory.unit")
    report.count(created, changed, unit.short_name)


def _fill_empty(instance, values):
    empty = [name for name, value in values.items()
             if value not in ("", None) and getattr(instance, name) in ("", None)]
    for name in empty:
        setattr(instance, name, values[name])
    return bool(empty)


def _retire_unit(data, report):
    """A township the official division no longer lists (merged into another): a database
    that has it keeps it, with its incidents, people and warnings, marked as merged, so it is
    no longer offered for new ones; a new database never gets it."""
    unit = Unit.objects.filter(code=data["code"]).first()
    if unit is None or unit.merged_into_id is not None:
        return
    unit.merged_into = Unit.objects.get(code=data["merged_into"])
    _fill_empty(unit, {"division_code": data.get("division_code", "")})
    changed = saved_with_event(actor=SYSTEM, instance=unit, kind="directory.unit")
    report.count(False, changed, unit.short_name)


def _load_position(code, data, order, update, report):
    position = Position.objects.filter(code=code).first() or Position(code=code)
    created = _apply(position, {
        "name": data.get("name") or str(code.label),
        "held_by_plan": data.get("held_by", ""),
        "plan_section": data.get("section", ""),
        "order": order,
    }, update)
    changed = (created or update) and saved_with_event(
        actor=SYSTEM, instance=position, kind="directory.position")
    perms_changed = related_set_with_event(
        actor=SYSTEM, instance=position, field_name="permissions",
        objects=_permissions(POSITION_PERMISSIONS[code]), kind="directory.position",
        label=_permission_name)
    report.count(created, changed or perms_changed, position.name)


def _load_task_group(data, update, report):
    group = TaskGroup.objects.filter(code=data["code"]).first() or TaskGroup(code=data["code"])
    created = _apply(group, {
        "name": data["name"],
        "order": data["order"],
        "lead_unit": Unit.objects.get(code=data["lead_unit"]),
        "other_members": data.get("other_members", []),
        "duties": data["duties"],
    }, update)
    changed = (created or update) and saved_with_event(
        actor=SYSTEM, instance=group, kind="directory.taskgroup")
    if created or update:
        members = list(Unit.objects.filter(code__in=data["member_units"]))
        changed = related_set_with_event(
            actor=SYSTEM, instance=group, field_name="member_units", objects=members,
            kind="directory.taskgroup") or changed
    report.count(created, changed, group.name)


def _permissions(names):
    permissions = []
    for name in dict.fromkeys(names):  # once each, in order
        app_label, codename = name.split(".")
        permissions.append(
            Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return permissions


def _permission_name(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"
