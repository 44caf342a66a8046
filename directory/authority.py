"""What each position may do, as Django permissions (plan §2; DOMAIN.md "People and
authority"). load_plan writes this table into Position.permissions; the code checks the
permissions, never the position names. Later features add their permissions here."""

from directory.choices import PositionCode

VIEW_DIRECTORY = "directory.view_unit"
MANAGE_DIRECTORY = "directory.manage_directory"
VIEW_TIMELINE = "timeline.view_event"

# What the Django admin needs to let an administrator keep the directory and accounts.
ADMIN_SITE = [
    f"directory.{action}_{model}"
    for model in ("unit", "person", "positionholding", "taskgroup", "dutyshift")
    for action in ("view", "add", "change", "delete")
] + ["directory.view_position",
     "auth.view_user", "auth.add_user", "auth.change_user"]

POSITION_PERMISSIONS = {
    PositionCode.COMMANDER: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.DEPUTY_COMMANDER: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.OFFICE_DIRECTOR: [VIEW_DIRECTORY, VIEW_TIMELINE, MANAGE_DIRECTORY],
    PositionCode.DUTY_OFFICER: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.UNIT_LIAISON: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.TOWNSHIP_OFFICER: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.ENTERPRISE_REPORTER: [VIEW_DIRECTORY, VIEW_TIMELINE],
    PositionCode.ADMINISTRATOR: [VIEW_DIRECTORY, VIEW_TIMELINE, MANAGE_DIRECTORY, *ADMIN_SITE],
}
