"""Who may start, change and end which response level (plan §4.3, §4.10; DOMAIN.md).

Level Ⅰ: the commander. Level Ⅱ: the commander or a deputy. Level Ⅲ: the office director
(and the leaders above). A change of level needs the authority of the higher of the two
levels. Ending needs the level's authority and at least the authority of whoever started the
response ("谁启动、谁负责"): a Level Ⅱ started by a deputy is not ended by the office director.
These are the `permission` callables of the transitions in response.models."""

from response.choices import CONDITIONS, RUNNING_STATES, ResponseLevel
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
