"""Authority by level, as the plan grants it for response levels (§4.3) and warnings (§3.3):
each level has a permission, a higher authority covers the lower levels, a change of level
needs the authority of the higher of the two, and "who starts/issues it, ends/lifts it" is
a comparison of ranks."""

from django.utils.translation import gettext_lazy as _

# What a rank (LevelAuthority.rank) stands for, as a sentence on the timeline names it.
RANK_TITLES = {3: _("the commander"), 2: _("a deputy commander"), 1: _("the office director")}


class LevelAuthority:
    def __init__(self, permissions, lowest_first):
        self.permissions = permissions
        self.order = list(lowest_first)

    def may(self, user, level):
        return user.has_perm(self.permissions[level])

    def rank(self, user):
        """1 + the index of the highest level the user may decide, or 0."""
        return self._rank(user.has_perm)

    def rank_of(self, permissions):
        """The rank a holder of these permissions (a position's, say) has."""
        return self._rank(permissions.__contains__)

    def _rank(self, holds):
        for index in range(len(self.order) - 1, -1, -1):
            if holds(self.permissions[self.order[index]]):
                return index + 1
        return 0

    def higher(self, a, b):
        return max(a, b, key=self.order.index)
