"""Who may start, change and end which response level (plan §4.3, §4.10; DOMAIN.md).

Level Ⅰ: the commander. Level Ⅱ: the commander or a deputy. Level Ⅲ: the office director
(and the leaders above). A change of level needs the authority of the higher of the two
levels. Ending needs the level's authority and at least the authority of whoever started the
response ("谁启动、谁负责"): a Level Ⅱ started by a deputy is not ended by the office director.
These are the `permission` callables of the transitions in response.models."""

from response.choices import CONDITIONS, ResponseLevel

LEVEL_PERMISSION = {
    ResponseLevel.LEVEL_I: "response.start_level_i",
    ResponseLevel.LEVEL_II: "response.start_level_ii",
    ResponseLevel.LEVEL_III: "response.start_level_iii",
}
LEVEL_ORDER = [ResponseLevel.LEVEL_III, ResponseLevel.LEVEL_II, ResponseLevel.LEVEL_I]
PROPOSE = "response.propose_response"
RECORD = "response.record_response"


def rank(user):
    """3 with Level Ⅰ authority (commander), 2 with Level Ⅱ (deputy), 1 with Level Ⅲ (office
    director), 0 without any."""
    for value, level in ((3, ResponseLevel.LEVEL_I), (2, ResponseLevel.LEVEL_II),
                         (1, ResponseLevel.LEVEL_III)):
        if user.has_perm(LEVEL_PERMISSION[level]):
            return value
    return 0


def higher(a, b):
    return max(a, b, key=LEVEL_ORDER.index)


def may_start(user, level):
    return user.has_perm(LEVEL_PERMISSION[level])


def may_start_level(response, user):
    return may_start(user, response.level)


def may_change_level(response, user):
    target = getattr(response, "target_level", None) or response.level
    return may_start(user, higher(response.level, target))


def may_manage_active(response, user):
    return may_start(user, response.level)


def may_end(response, user):
    return may_start(user, response.level) and rank(user) >= response.started_rank


def all_conditions_confirmed(response):
    return all(response.conditions.get(key) for key, _label in CONDITIONS)
