"""Who may report on which incident: the scope of township officers and enterprise reporters."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from directory.choices import PositionCode
from directory.selectors import held_units
from zezhou_heat.permissions import REPORT, REPORT_ANY, VIEW_ALL_INCIDENTS, VIEW_INCIDENTS


def scope_of(user):
    """(township ids, enterprise ids) the user is limited to."""
    return (held_units(user, PositionCode.TOWNSHIP_OFFICER),
            held_units(user, PositionCode.ENTERPRISE_REPORTER))


def in_scope(user, *, township_id, reporter_unit_id):
    townships, enterprises = scope_of(user)
    return township_id in townships or (reporter_unit_id is not None
                                        and reporter_unit_id in enterprises)


def check_may_report(user, *, township_id, reporter_unit_id):
    if not user.has_perm(REPORT):
        raise PermissionDenied(_("Only duty officers, township officers and heating-enterprise "
                                 "reporters log incidents and reports."))
    if user.has_perm(REPORT_ANY):
        return
    if not in_scope(user, township_id=township_id, reporter_unit_id=reporter_unit_id):
        raise PermissionDenied(_("You may report only on incidents in your own township or of "
                                 "your own enterprise."))


def may_report_on(incident, user):
    """check_may_report as a yes or no: the permission of the final-report transition."""
    try:
        check_may_report(user, township_id=incident.township_id,
                         reporter_unit_id=incident.reporter_unit_id)
    except PermissionDenied:
        return False
    return True


def check_may_view(user, incident):
    if user.has_perm(VIEW_ALL_INCIDENTS):
        return
    if user.has_perm(VIEW_INCIDENTS) and in_scope(
            user, township_id=incident.township_id, reporter_unit_id=incident.reporter_unit_id):
        return
    raise PermissionDenied(_("This incident is outside what your positions let you see."))
