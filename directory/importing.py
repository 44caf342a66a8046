"""Validation of a contact-directory import. Nothing is saved here: the preview shows the
result, and directory.services.people_imported applies it only when every row is valid.

A row names a person by unit and name. An existing person with that unit and name is
updated; otherwise a new person is created. A row whose mobile number belongs to someone
else, or that repeats a person or a mobile number of an earlier row, is a duplicate."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from directory.models import Person, Position, Unit
from directory.services import holdings_for
from directory.tabular import COLUMNS, POSITION_SEPARATORS
from directory.validators import normalise_phone, validate_phone
from zezhou_heat.text import validate_text

LABELS = {c.key: c.label for c in COLUMNS}
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class RowError:
    line: int
    field: str
    message: str

    @property
    def field_label(self):
        return str(LABELS[self.field])


@dataclass
class ImportRow:
    line: int
    person_fields: dict
    existing: Person | None
    positions: list | None
    action: str = CREATE
    errors: list = field(default_factory=list)


class Lookup:
    """Units and positions by every name a spreadsheet may use for them."""

    def __init__(self):
        self.units = {}
        for unit in Unit.objects.all():
            for key in (unit.code, unit.name, unit.short_name):
                self.units[key.strip().lower()] = unit
        self.positions = {}
        for position in Position.objects.all():
            for key in (position.code, position.name, str(position)):
                self.positions[key.strip().lower()] = position

    def unit(self, text):
        return self.units.get(text.strip().lower())

    def position(self, text):
        return self.positions.get(text.strip().lower())


def validate_rows(raw_rows):
    lookup = Lookup()
    rows = [_validate_row(line, record, lookup) for line, record in raw_rows]
    _mark_duplicates_within_file(rows)
    errors = [e for row in rows for e in row.errors]
    return rows, errors


def _validate_row(line, record, lookup):
    errors = []

    def fail(field_key, message):
        errors.append(RowError(line, field_key, message))

    name = record.get("name", "")
    if not name:
        fail("name", _("A name is required."))
    for key in ("unit", "name", "title", "positions"):
        try:
            validate_text(record.get(key, ""))
        except ValidationError as error:
            fail(key, error.messages[0])
    unit = lookup.unit(record.get("unit", ""))
    if unit is None:
        fail("unit", _("Unknown unit “%(unit)s”.") % {"unit": record.get("unit", "")}
             if record.get("unit") else _("A unit is required."))
    existing = Person.objects.filter(unit=unit, name=name).first() if unit and name else None
    phones = {}
    for key in ("mobile", "office_phone"):
        phones[key] = normalise_phone(record.get(key, ""))
        try:
            validate_phone(phones[key])
        except ValidationError as error:
            fail(key, error.messages[0])
        else:
            if key == "mobile" and phones[key]:
                _check_mobile_owner(phones[key], existing, fail)
    positions = _positions(record.get("positions"), lookup, fail)

    fields = {"unit": unit, "name": name, "title": record.get("title", ""),
              "mobile": phones["mobile"], "office_phone": phones["office_phone"]}
    row = ImportRow(line, fields, existing, positions, errors=errors)
    row.action = _action(row)
    return row


def _check_mobile_owner(mobile, existing, fail):
    owner = Person.objects.filter(mobile=mobile).exclude(
        pk=existing.pk if existing else None).first()
    if owner:
        fail("mobile", _("Duplicate person: this mobile number already belongs to "
                         "%(person)s.") % {"person": owner})


def _positions(text, lookup, fail):
    if text is None:
        return None
    names = [text]
    for separator in POSITION_SEPARATORS:
        names = [part for name in names for part in name.split(separator)]
    positions = []
    for name in filter(None, (n.strip() for n in names)):
        position = lookup.position(name)
        if position is None:
            fail("positions", _("Unknown position “%(position)s”.") % {"position": name})
            continue
        positions.append(position)
    return positions


def _action(row):
    if row.existing is None:
        return CREATE
    person = row.existing
    same_fields = all(
        getattr(person, key) == value for key, value in row.person_fields.items())
    wanted = holdings_for(row.person_fields["unit"], row.positions or [])
    same_positions = row.positions is None or sorted(
        (p.pk, u.pk if u else None) for p, u in wanted
    ) == sorted((h.position_id, h.unit_id) for h in person.holdings.all())
    return UNCHANGED if same_fields and same_positions else UPDATE


def _mark_duplicates_within_file(rows):
    seen_people, seen_mobiles = {}, {}
    for row in rows:
        unit, name = row.person_fields["unit"], row.person_fields["name"]
        mobile = row.person_fields["mobile"]
        if unit and name:
            first = seen_people.setdefault((unit.pk, name), row.line)
            if first != row.line:
                row.errors.append(RowError(row.line, "name", _(
                    "Duplicate person: %(name)s of this unit is already on line %(line)s."
                ) % {"name": name, "line": first}))
        if mobile:
            first = seen_mobiles.setdefault(mobile, row.line)
            if first != row.line:
                row.errors.append(RowError(row.line, "mobile", _(
                    "Duplicate person: this mobile number is already on line %(line)s."
                ) % {"line": first}))
