"""Which timeline events a user may see, decided once per user: the catch-up API filters
the database with it and the live consumer filters frames with it, by the same rule."""

from dataclasses import dataclass

from django.db.models import Q

from early_warnings.selectors import PUBLIC_EVENT_KINDS
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
    ("directory.", VIEW_DIRECTORY),
    ("response.playbookitem.", VIEW_DIRECTORY),
    ("auth.", MANAGE_DIRECTORY),
]
# Warning events, attached to an incident or not, go by their kind (see Audience.of).
WARNING = "warning."


@dataclass(frozen=True)
class Audience:
    everything: bool
    townships: frozenset = frozenset()
    enterprises: frozenset = frozenset()
    unattached_prefixes: tuple = ()
    warning_kinds: tuple = ()

    @classmethod
    def of(cls, user):
        """The user's audience, read once per user object (a request's, or a live socket's:
        a changed position takes effect at the next request or connection)."""
        if not hasattr(user, "_live_audience"):
            user._live_audience = cls._read(user)
        return user._live_audience

    @classmethod
    def _read(cls, user):
        if user.has_perm(VIEW_ALL_INCIDENTS):
            return cls(everything=True)
        townships, enterprises = scope_of(user) if user.has_perm(VIEW_INCIDENTS) else ((), ())
        prefixes = tuple(prefix for prefix, perm in UNATTACHED_KINDS if user.has_perm(perm))
        # Warnings as the warnings pages and API show them (early_warnings.selectors): the
        # events of issued warnings, whichever incident they belong to; no draft, no pending.
        warning_kinds = PUBLIC_EVENT_KINDS if user.has_perm(VIEW_WARNINGS) else ()
        return cls(False, frozenset(townships), frozenset(enterprises), prefixes, warning_kinds)

    def sees(self, frame):
        if self.everything:
            return True
        if frame["kind"].startswith(WARNING):
            return frame["kind"] in self.warning_kinds
        if frame["incident"] is not None:
            return (frame["township"] in self.townships
                    or frame["reporter_unit"] in self.enterprises)
        return frame["kind"].startswith(self.unattached_prefixes)

    def filter(self, events):
        if self.everything:
            return events
        visible = ((Q(incident__township__in=self.townships)
                    | Q(incident__reporter_unit__in=self.enterprises))
                   & ~Q(kind__startswith=WARNING)) | Q(kind__in=self.warning_kinds)
        for prefix in self.unattached_prefixes:
            visible |= Q(incident__isnull=True, kind__startswith=prefix)
        return events.filter(visible)
