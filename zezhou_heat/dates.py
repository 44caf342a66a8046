"""The one rule for every date and time a person enters, on pages and in the API alike
(README, "Choices made": the window of a time entered).

Two kinds of time, each with its window:

- HAPPENED: something that has happened (an incident occurred, was reported, an inquiry was
  asked, a report sent, a headquarters set up): from EARLIEST up to now, give or take
  CLOCK_SKEW (a phone's clock may run a little ahead of the server's).
- PLANNED: something planned or expected (a warning period, an expected restore, a duty
  shift): from EARLIEST up to PLANNING_HORIZON ahead.

A time outside its window is refused with the field named. The forms (zezhou_heat.forms
HappenedField/PlannedField), the serializers (zezhou_heat.api HappenedDateTimeField/
PlannedDateTimeField) and the services (check_moments, the last line: every write goes
through them) all apply moment_problem() below, so they cannot drift apart.

Why a floor at all: Python cannot hold times before year 1, and Asia/Shanghai is +08:05:43
(local mean time) before 1901, so a year-1 local time is stored as 1 BC UTC and can then no
longer be read back; any time before the system existed is a typing error anyway."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

HAPPENED = "happened"
PLANNED = "planned"

EARLIEST = "2000-01-01"  # in county time
CLOCK_SKEW = timedelta(minutes=2)  # a phone's clock may run a little ahead of the server's
PLANNING_HORIZON = timedelta(days=366)


def earliest():
    return datetime.fromisoformat(EARLIEST).replace(tzinfo=timezone.get_default_timezone())


def moment_problem(value, kind, now=None):
    """Why `value` is outside the window of its kind (a translated sentence), or None.
    A naive value is read as county time without converting it (no overflow at the edges
    of what Python can hold)."""
    if value is None:
        return None
    if timezone.is_naive(value):
        value = value.replace(tzinfo=timezone.get_default_timezone())
    if value < earliest():
        return _("Enter a time on or after %(earliest)s.") % {"earliest": EARLIEST}
    now = now or timezone.now()
    if kind == HAPPENED and value > now + CLOCK_SKEW:
        return _("This time cannot be in the future.")
    if kind == PLANNED and value > now + PLANNING_HORIZON:
        return _("Enter a time no more than a year from now.")
    return None


@deconstructible
class MomentValidator:
    """The rule as a Django validator (forms; DRF runs Django validators too)."""

    code = "moment_out_of_window"

    def __init__(self, kind):
        self.kind = kind

    def __call__(self, value):
        problem = moment_problem(value, self.kind)
        if problem:
            raise ValidationError(problem, code=self.code)

    def __eq__(self, other):
        return isinstance(other, MomentValidator) and other.kind == self.kind


validate_happened = MomentValidator(HAPPENED)
validate_planned = MomentValidator(PLANNED)


def check_moments(*, happened=None, planned=None):
    """The services' last line: {field: value} of each kind; raises one ValidationError
    naming every field outside its window. None values are skipped (optional fields)."""
    errors = {}
    for kind, values in ((HAPPENED, happened or {}), (PLANNED, planned or {})):
        for field, value in values.items():
            problem = moment_problem(value, kind)
            if problem:
                errors[field] = problem
    if errors:
        raise ValidationError(errors)
