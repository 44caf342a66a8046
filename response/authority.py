"""Who may start, change and end which response level (plan §4.3, §4.10; DOMAIN.md).

Level Ⅰ: the commander. Level Ⅱ: the commander or a deputy. Level Ⅲ: the office director
(and the leaders above). A change of level needs the authority of the higher of the two
levels. Ending needs the level's authority and at least the authority of whoever started the
response ("谁启动、谁负责"): a Level Ⅱ started by a deputy is not ended by the office director.
These are the `permission` callables of the transitions in response.models."""

from django.utils.translation import gettext as _

from directory.authority import at_time, decided_by, positions_where, positions_with, who
from response.choices import CONDITIONS, RUNNING_STATES, ResponseLevel, ResponseState, StartMode
from zezhou_heat.authority import LevelAuthority
from zezhou_heat.fsm import allowed_transitions
from zezhou_heat.permissions import LEVEL_I, LEVEL_II, LEVEL_III, PROPOSE_RESPONSE, RECORD_RESPONSE

LEVEL_PERMISSION = {
    ResponseLevel.LEVEL_I: LEVEL_I,
    ResponseLevel.LEVEL_II: LEVEL_II,
    ResponseLevel.LEVEL_III: LEVEL_III,
}
LEVELS = LevelAuthority(LEVEL_PERMISSION, [ResponseLevel.LEVEL_III, ResponseLevel.LEVEL_II,
                                          ResponseLevel.LEVEL_I])
PROPOSE = PROPOSE_RESPONSE
RECORD = RECORD_RESPONSE
rank = LEVELS.rank  # 3 commander, 2 deputy commander, 1 office director, 0 anyone else
may_start = LEVELS.may


def may_start_level(response, user):
    return may_start(user, response.level)


def may_change_level(response, user):
    target = getattr(response, "target_level", None) or response.level
    return may_start(user, LEVELS.higher(response.level, target))


def may_manage_active(response, user):
    return may_start(user, response.level)


def may_end(response, user):
    return may_start(user, response.level) and rank(user) >= response.started_rank


def all_conditions_confirmed(response):
    return all(response.conditions.get(key) for key, _label in CONDITIONS)


def actions(response, user):
    """What `user` may do to `response` now, hence which buttons its pages show: the
    transitions django-fsm allows them, plus "record" (on-site headquarters, end conditions),
    a plain write with the same check as its service."""
    names = set(allowed_transitions(response, user))
    if user.has_perm(RECORD) and response.state in RUNNING_STATES:
        names.add("record")
    return names


# --- who may act, in words: from the same rules, for refusals and hidden buttons -------------


def starters(level, at_least_rank=0):
    """The positions that may start (change to, end) `level`, with at least that rank."""
    permission = LEVEL_PERMISSION[level]
    return positions_where(lambda held: permission in held
                           and LEVELS.rank_of(held) >= at_least_rank)


def who_may_start(level):
    return _("%(level)s is started by %(who)s.") % {
        "level": ResponseLevel(level).label, "who": who(starters(level))}


def who_may_propose():
    return _("Proposals come from %(who)s.") % {"who": who(positions_with(PROPOSE))}


def who_may_record():
    return _("Needs %(who)s to record it.") % {"who": who(positions_with(RECORD))}


def who_may_change_to(response, level):
    higher = LEVELS.higher(response.level, level)
    return _("A change to %(level)s needs %(who)s.") % {
        "level": ResponseLevel(level).label, "who": who(starters(higher))}


def who_may(response, action):
    """Who may take `action` (a transition's name) on `response`, as a sentence."""
    level = response.level
    target = getattr(response, "target_level", None)
    if action == "change_level" and target and target != level:
        return who_may_change_to(response, target)
    texts = {
        "approve": _("Needs approval by %(who)s."),
        "reject": _("Needs a decision by %(who)s."),
        "change_level": _("Changing the level needs %(who)s."),
        "hand_over": _("Recording the hand-over needs %(who)s."),
        "end": _("Ending this response needs %(who)s (who starts it, ends it)."),
    }
    rank_needed = response.started_rank if action == "end" else 0
    return texts[action] % {"who": who(starters(level, rank_needed))}


def may_change_to(response, user):
    """The levels `user` may change `response` to (the higher of the two decides)."""
    return [level for level in ResponseLevel
            if level != response.level and may_start(user, LEVELS.higher(response.level, level))]


def decision(response):
    """How a proposal was decided, for whoever tries to decide it too: "已由 张三（指挥长）于
    03:12 批准"; None while it waits (or when it was not decided on a proposal)."""
    if response.state == ResponseState.REJECTED and response.rejected_by:
        return _("Rejected by %(who)s at %(time)s.") % {
            "who": decided_by(response.rejected_by, LEVELS, rank(response.rejected_by)),
            "time": at_time(response.rejected_at)}
    if response.start_mode == StartMode.APPROVED and response.running:
        return _("Approved by %(who)s at %(time)s.") % {
            "who": decided_by(response.started_by, LEVELS, response.started_rank),
            "time": at_time(response.started_at)}
    return None
