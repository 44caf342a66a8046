"""A bad day in the command room, for the situation brief's tests."""

from datetime import timedelta

from django.utils import timezone

from directory.choices import PositionCode as P
from directory.models import Unit
from early_warnings import services as warning_services
from incidents import clocks
from response import services as response_services
from tests.incident_helpers import report_incident
from tests.warning_helpers import complete_draft


def build_bad_day(users, make_user):
    """A Level Ⅰ response in 南村镇 whose notices and written report are overdue, a quiet
    incident in 下村镇, a drill, and a warning in effect."""
    duty = users(P.DUTY_OFFICER)
    township = Unit.objects.get(code="tw_nancun")
    busy = report_incident(duty, township=township, households_affected=3200, deaths=1,
                           serious_injuries=3)
    response = response_services.response_started_directly(
        actor=users(P.COMMANDER), incident=busy, level="I", reason="主管道爆裂")
    quiet = report_incident(duty, township=Unit.objects.get(code="tw_xiacun"),
                            households_affected=400)
    drill = report_incident(duty, township=Unit.objects.get(code="tw_dadonggou"),
                            households_affected=900, is_drill=True)
    warning = complete_draft(duty, level="larger")
    warning_services.warning_submitted(actor=duty, warning=warning)
    warning_services.warning_approved(actor=users(P.COMMANDER), warning=warning)
    late = response.notices.select_related("unit").order_by("unit__code")
    liaison = make_user(P.UNIT_LIAISON, unit_code=late[0].unit.code)
    response_services.notice_acknowledged(actor=liaison, notice=late[0])
    clocks.sweep_deadlines(now=timezone.now() + timedelta(hours=2))
    return {"busy": busy, "quiet": quiet, "drill": drill, "response": response,
            "overdue_units": [n.unit for n in late[1:]], "notices": len(late)}
