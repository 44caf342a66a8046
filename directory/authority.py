"""What each position may do, as Django permissions (plan §2; DOMAIN.md "People and
authority"). load_plan writes this table into Position.permissions; the code checks the
permissions, never the position names. Later features add their permissions here."""

from directory.choices import PositionCode

VIEW_DIRECTORY = "directory.view_unit"
MANAGE_DIRECTORY = "directory.manage_directory"

POSITION_PERMISSIONS = {
    PositionCode.COMMANDER: [VIEW_DIRECTORY],
    PositionCode.DEPUTY_COMMANDER: [VIEW_DIRECTORY],
    PositionCode.OFFICE_DIRECTOR: [VIEW_DIRECTORY, MANAGE_DIRECTORY],
    PositionCode.DUTY_OFFICER: [VIEW_DIRECTORY],
    PositionCode.UNIT_LIAISON: [VIEW_DIRECTORY],
    PositionCode.TOWNSHIP_OFFICER: [VIEW_DIRECTORY],
    PositionCode.ENTERPRISE_REPORTER: [VIEW_DIRECTORY],
    PositionCode.ADMINISTRATOR: [VIEW_DIRECTORY, MANAGE_DIRECTORY],
}
