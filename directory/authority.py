"""What each position may do, as Django permissions (plan §2; DOMAIN.md "People and
authority"). load_plan writes this table into Position.permissions; the code checks the
permissions (defined in zezhou_heat.permissions), never the position names."""

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
    VIEW_DIRECTORY,
    VIEW_INCIDENTS,
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
     "auth.view_user", "auth.add_user", "auth.change_user"]

POSITION_PERMISSIONS = {
    # Plan §4.3: Level Ⅰ the commander; Ⅱ the commander or a deputy; Ⅲ the office director.
    # Plan §3.3: 一般 warnings by the office; 较大 the commander or a deputy; 重大以上 the commander.
    PositionCode.COMMANDER: [*OFFICE_AND_LEADERS, MANAGE_INCIDENT_STATUS, LEVEL_I, LEVEL_II,
                             LEVEL_III, RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER, WARN_MAJOR],
    PositionCode.DEPUTY_COMMANDER: [*OFFICE_AND_LEADERS, MANAGE_INCIDENT_STATUS, LEVEL_II, LEVEL_III,
                                    RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER],
    PositionCode.OFFICE_DIRECTOR: [*OFFICE_AND_LEADERS, MANAGE_DIRECTORY, HANDLE_INQUIRIES,
                                   MANAGE_INCIDENT_STATUS, LEVEL_III, PROPOSE_RESPONSE,
                                   RECORD_RESPONSE, DRAFT_WARNING, WARN_GENERAL],
    PositionCode.DUTY_OFFICER: [*OFFICE_AND_LEADERS, REPORT, REPORT_ANY, HANDLE_INQUIRIES,
                                PROPOSE_RESPONSE, RECORD_RESPONSE, DRAFT_WARNING],
    PositionCode.UNIT_LIAISON: COUNTY_READER,
    # Township officers: their own township's incidents; enterprise reporters: their own.
    PositionCode.TOWNSHIP_OFFICER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                    VIEW_WARNINGS],
    PositionCode.ENTERPRISE_REPORTER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                       VIEW_WARNINGS],
    PositionCode.ADMINISTRATOR: [VIEW_DIRECTORY, VIEW_TIMELINE, MANAGE_DIRECTORY, VIEW_ALL_MOBILES,
                                 MANAGE_COUNTY_MAP, *ADMIN_SITE],
}

# Who signs in with a second factor where settings.TWO_FACTOR_REQUIRED is True (等保 2.0
# level 3 asks two factors of privileged users): the leaders, who start responses and issue
# warnings, and the administrators, who keep the accounts. Staff and superuser accounts too,
# whatever they hold (directory.two_factor.required_for).
TWO_FACTOR_POSITIONS = frozenset({PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER,
                                  PositionCode.OFFICE_DIRECTOR, PositionCode.ADMINISTRATOR})
