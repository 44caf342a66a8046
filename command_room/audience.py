"""Which timeline events a user may see, decided once per user: the catch-up API filters
the database with it and the live consumer filters frames with it, by the same rule."""

from dataclasses import dataclass

from django.db.models import Q

from incidents.authority import scope_of
from zezhou_heat.permissions import (
    MANAGE_DIRECTORY,
    VIEW_ALL_INCIDENTS,
    VIEW_DIRECTORY,
    VIEW_INCIDENTS,
    VIEW_WARNINGS,
)

# Events tied to no incident, by kind, and the permission that shows them.
UNATTACHED_KINDS = [
    ("warning.", VIEW_WARNINGS),
    ("directory.", VIEW_DIRECTORY),
    ("response.playbookitem.", VIEW_DIRECTORY),
    ("auth.", MANAGE_DIRECTORY),
]


@dataclass(frozen=True)
class Audience:
    everything: bool
    townships: frozenset = frozenset()
    enterprises: frozenset = frozenset()
    unattached_prefixes: tuple = ()

    @classmethod
    def of(cls, user):
        if user.has_perm(VIEW_ALL_INCIDENTS):
            return cls(everything=True)
        townships, enterprises = scope_of(user) if user.has_perm(VIEW_INCIDENTS) else ((), ())
        prefixes = tuple(prefix for prefix, perm in UNATTACHED_KINDS if user.has_perm(perm))
        return cls(False, frozenset(townships), frozenset(enterprises), prefixes)

    def sees(self, frame):
        if self.everything:
            return True
        if frame["incident"] is not None:
            return (frame["township"] in self.townships
                    or frame["reporter_unit"] in self.enterprises)
        return frame["kind"].startswith(self.unattached_prefixes)

    def filter(self, events):
        if self.everything:
            return events
        visible = (Q(incident__township__in=self.townships)
                   | Q(incident__reporter_unit__in=self.enterprises))
        for prefix in self.unattached_prefixes:
            visible |= Q(incident__isnull=True, kind__startswith=prefix)
        return events.filter(visible)
