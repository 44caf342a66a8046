"""What each position may do, as Django permissions (plan §2; DOMAIN.md "People and
authority"). load_plan writes this table into Position.permissions; the code checks the
permissions, never the position names. Later features add their permissions here."""

from directory.choices import PositionCode

VIEW_DIRECTORY = "directory.view_unit"
MANAGE_DIRECTORY = "directory.manage_directory"
VIEW_TIMELINE = "timeline.view_event"

VIEW_INCIDENTS = "incidents.view_incident"          # with a scope, unless also:
VIEW_ALL_INCIDENTS = "incidents.view_all_incidents"  # every township, every reporter
REPORT = "incidents.report_incidents"               # log incidents and their reports, scoped
REPORT_ANY = "incidents.report_any_incident"          # … anywhere in the county
HANDLE_INQUIRIES = "incidents.handle_inquiry"        # upper-level inquiries and upward reports
MANAGE_INCIDENT_STATUS = "incidents.manage_incident_status"

PROPOSE_RESPONSE = "response.propose_response"
RECORD_RESPONSE = "response.record_response"
LEVEL_I, LEVEL_II, LEVEL_III = ("response.start_level_i", "response.start_level_ii",
                                "response.start_level_iii")

DRAFT_WARNING = "early_warnings.draft_warning"
WARN_GENERAL, WARN_LARGER, WARN_MAJOR = (
    "early_warnings.approve_general_warning", "early_warnings.approve_larger_warning",
    "early_warnings.approve_major_warning")
VIEW_WARNINGS = "early_warnings.view_earlywarning"

COUNTY_READER = [VIEW_WARNINGS, VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, VIEW_ALL_INCIDENTS]

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
    PositionCode.COMMANDER: [*COUNTY_READER, MANAGE_INCIDENT_STATUS, LEVEL_I, LEVEL_II,
                             LEVEL_III, RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER, WARN_MAJOR],
    PositionCode.DEPUTY_COMMANDER: [*COUNTY_READER, MANAGE_INCIDENT_STATUS, LEVEL_II, LEVEL_III,
                                    RECORD_RESPONSE, WARN_GENERAL, WARN_LARGER],
    PositionCode.OFFICE_DIRECTOR: [*COUNTY_READER, MANAGE_DIRECTORY, HANDLE_INQUIRIES,
                                   MANAGE_INCIDENT_STATUS, LEVEL_III, PROPOSE_RESPONSE,
                                   RECORD_RESPONSE, DRAFT_WARNING, WARN_GENERAL],
    PositionCode.DUTY_OFFICER: [*COUNTY_READER, REPORT, REPORT_ANY, HANDLE_INQUIRIES,
                                PROPOSE_RESPONSE, RECORD_RESPONSE, DRAFT_WARNING],
    PositionCode.UNIT_LIAISON: COUNTY_READER,
    # Township officers: their own township's incidents; enterprise reporters: their own.
    PositionCode.TOWNSHIP_OFFICER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                    VIEW_WARNINGS],
    PositionCode.ENTERPRISE_REPORTER: [VIEW_DIRECTORY, VIEW_TIMELINE, VIEW_INCIDENTS, REPORT,
                                       VIEW_WARNINGS],
    PositionCode.ADMINISTRATOR: [VIEW_DIRECTORY, VIEW_TIMELINE, MANAGE_DIRECTORY, *ADMIN_SITE],
}
