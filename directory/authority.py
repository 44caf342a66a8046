"""What each position may do, as Django permissions (plan §2; DOMAIN.md "People and
authority"). load_plan writes this table into Position.permissions; the code checks the
permissions (defined in zezhou_heat.permissions), never the position names."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory.choices import PositionCode
from zezhou_heat.permissions import (
    DRAFT_WARNING,
    HANDLE_INQUIRIES,
    LEVEL_I,
    LEVEL_II,
    LEVEL_III,
    MANAGE_COUNTY_MAP,
    MANAGE_DIRECTORY,
    MANAGE_INCIDENT_STATUS,
    PROPOSE_RESPONSE,
    RECORD_RESPONSE,
    REPORT,
    REPORT_ANY,
    VIEW_ALL_INCIDENTS,
    VIEW_ALL_MOBILES,
    VIEW_DELIVERIES,
    VIEW_DIRECTORY,
    VIEW_INCIDENTS,
    VIEW_OUTBOX,
    VIEW_TIMELINE,
    VIEW_WARNINGS,
    WARN_GENERAL,
    WARN_LARGER,
    WARN_MAJOR,
)

COUNTY_READER = [VIEW_WARNINGS, VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, VIEW_ALL_INCIDENTS]
# The office and the leaders reach anyone by mobile; the other readers see the duty phones,
# the mobiles of whoever is on duty now and their own unit's (README "Phone numbers").
OFFICE_AND_LEADERS = [*COUNTY_READER, VIEW_ALL_MOBILES]

# What the Django admin needs to let an administrator keep the directory and accounts.
ADMIN_SITE = [
    f"directory.{action}_{model}"
    for model in ("unit", "person", "positionholding", "taskgroup", "dutyshift")
    for action in ("view", "add", "change", "delete")
] + [f"response.{action}_playbookitem" for action in ("view", "add", "change", "delete")] + [
    "directory.view_position",
    *(f"notify.{action}_{model}" for model in ("recipientrule", "channeladdress")
      for action in ("view", "add", "change", "delete")),
     "auth.view_user", "auth.add_user", "auth.change_user"]

POSITION_PERMISSIONS = {
    # Plan §4.3: Level Ⅰ the commander; Ⅱ the commander or a deputy; Ⅲ the office director.
    # Plan §3.3: 一般 warnings by the office; 较大 the commander or a deputy; 重大以上 the commander.
    PositionCode.COMMANDER: [*OFFICE_AND_LEADERS, MANAGE_INCIDENT_STATUS, LEVEL_I, LEVEL_II,
                             LEVEL_III, RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER, WARN_MAJOR,
                             VIEW_DELIVERIES],
    PositionCode.DEPUTY_COMMANDER: [*OFFICE_AND_LEADERS, MANAGE_INCIDENT_STATUS, LEVEL_II, LEVEL_III,
                                    RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER, VIEW_DELIVERIES],
    PositionCode.OFFICE_DIRECTOR: [*OFFICE_AND_LEADERS, MANAGE_DIRECTORY, HANDLE_INQUIRIES,
                                   MANAGE_INCIDENT_STATUS, LEVEL_III, PROPOSE_RESPONSE,
                                   RECORD_RESPONSE, DRAFT_WARNING, WARN_GENERAL, VIEW_OUTBOX,
                                   VIEW_DELIVERIES],
    PositionCode.DUTY_OFFICER: [*OFFICE_AND_LEADERS, REPORT, REPORT_ANY, HANDLE_INQUIRIES,
                                PROPOSE_RESPONSE, RECORD_RESPONSE, DRAFT_WARNING, VIEW_OUTBOX,
                                VIEW_DELIVERIES],
    PositionCode.UNIT_LIAISON: COUNTY_READER,
    # Township officers: their own township's incidents; enterprise reporters: their own.
    PositionCode.TOWNSHIP_OFFICER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                    VIEW_WARNINGS],
    PositionCode.ENTERPRISE_REPORTER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                       VIEW_WARNINGS],
    PositionCode.ADMINISTRATOR: [VIEW_DIRECTORY, VIEW_TIMELINE, MANAGE_DIRECTORY, VIEW_ALL_MOBILES,
                                 MANAGE_COUNTY_MAP, VIEW_OUTBOX, VIEW_DELIVERIES, *ADMIN_SITE],
}

# Who signs in with a second factor where settings.TWO_FACTOR_REQUIRED is True (等保 2.0
# level 3 asks two factors of privileged users): the leaders, who start responses and issue
# warnings, and the administrators, who keep the accounts. Staff and superuser accounts too,
# whatever they hold (directory.two_factor.required_for).
TWO_FACTOR_POSITIONS = frozenset({PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER,
                                  PositionCode.OFFICE_DIRECTOR, PositionCode.ADMINISTRATOR})

# How a refusal or a hidden button names the positions that may act ("须由指挥长或副指挥长批准").
IN_A_SENTENCE = {
    PositionCode.COMMANDER: _("the commander"),
    PositionCode.DEPUTY_COMMANDER: _("a deputy commander"),
    PositionCode.OFFICE_DIRECTOR: _("the office director"),
    PositionCode.DUTY_OFFICER: _("a duty officer"),
    PositionCode.UNIT_LIAISON: _("a member-unit liaison"),
    PositionCode.TOWNSHIP_OFFICER: _("a township officer"),
    PositionCode.ENTERPRISE_REPORTER: _("a heating-enterprise reporter"),
    PositionCode.ADMINISTRATOR: _("an administrator"),
}


def positions_where(test):
    """The positions whose permissions pass `test`, in the plan's order (commander first)."""
    return [code for code, permissions in POSITION_PERMISSIONS.items() if test(permissions)]


def positions_with(permission):
    return positions_where(lambda permissions: permission in permissions)


def who(positions):
    """The positions as the subject of a sentence: "the commander or a deputy commander"."""
    names = [str(IN_A_SENTENCE[code]) for code in positions]
    if len(names) < 2:
        return "".join(names)
    return _("%(some)s or %(last)s") % {"some": _(", ").join(names[:-1]), "last": names[-1]}


def position_of_rank(levels, rank):
    """The first position (in the plan's order) whose authority over `levels` (a
    LevelAuthority) has exactly `rank`: 3 the commander, 2 a deputy, 1 the office director."""
    return next((code for code, held in POSITION_PERMISSIONS.items()
                 if levels.rank_of(held) == rank), None)


def decided_by(user, levels, rank):
    """Who decided, as the loser of a race reads it: "张三（指挥长）"."""
    person = getattr(user, "person", None)
    name = person.name if person else (user.get_full_name() or user.get_username())
    position = position_of_rank(levels, rank)
    return _("%(name)s (%(position)s)") % {"name": name, "position": PositionCode(
        position).label} if position else name


def at_time(moment):
    """A moment as a refusal says it: "03:12" today, "11-29 03:12" before."""
    local = timezone.localtime(moment)
    today = timezone.localdate()
    return local.strftime("%H:%M" if local.date() == today else "%m-%d %H:%M")
