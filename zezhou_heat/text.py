"""The one rule for text a person types, and what every export does with text already stored.

Text may hold any printable character, a tab and line breaks (a textarea sends CR LF).
Everything else a keyboard does not type is refused at input, with the field named: the
C0 controls (NUL, vertical tab, form feed, escape …), DEL and the C1 controls, lone
surrogate halves and the noncharacters U+FFFE/U+FFFF. They are invisible on screen, break
XML (Word, Excel, Atom, CAP), and PostgreSQL refuses NUL in text outright.

Rows stored before the rule (or written by other means) are made safe on the way out by
`printable`, so an export never fails on one bad row."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
MESSAGE = _("Control characters (other than tab and line breaks) are not allowed: %(found)s.")
CODE = "control_characters"


def refused_in(value):
    """The refused characters in `value`, as U+XXXX names (empty when the text is fine)."""
    found = sorted(set(REFUSED.findall(value))) if isinstance(value, str) else []
    return [f"U+{ord(char):04X}" for char in found]


def validate_text(value):
    """The shared text rule as a Django validator (forms, models, services)."""
    if found := refused_in(value):
        raise ValidationError(MESSAGE, code=CODE, params={"found": ", ".join(found)})


def check_fields(**values):
    """For a service: refuse any of the named values that breaks the text rule, each error
    under its own name; nested dicts and lists are searched too."""
    errors = {}
    for name, value in values.items():
        if found := refused_anywhere(value):
            errors[name] = ValidationError(MESSAGE, code=CODE, params={"found": ", ".join(found)})
    if errors:
        raise ValidationError(errors)


def refused_anywhere(value):
    """refused_in for a JSON-like value: strings inside lists and dicts (keys included)."""
    if isinstance(value, str):
        return refused_in(value)
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(refused_anywhere(key))
            found.update(refused_anywhere(item))
    elif isinstance(value, (list, tuple)):
        for item in value:
            found.update(refused_anywhere(item))
    return sorted(found)


def printable(value):
    """Text safe for XML 1.0 and spreadsheets: the refused characters removed. For exports
    of rows that may predate the rule."""
    return REFUSED.sub("", value) if isinstance(value, str) else value
