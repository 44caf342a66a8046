"""What each kind of timeline event is called on screen."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "incident.reported": _("First report logged"),
    "incident.figures_changed": _("Figures changed"),
    "incident.grade_changed": _("Grade changed"),
    "incident.status_changed": _("Status changed"),
    "report.written": _("Written report submitted"),
    "report.written_draft": _("Written report saved as a draft"),
    "report.continuation": _("Continuation report"),
    "report.final": _("Final report"),
    "report.passed_up": _("Report passed up"),
    "inquiry.recorded": _("Upper-level inquiry"),
    "inquiry.replied": _("Inquiry answered"),
    "deadline.reminder": _("Clock: 10 minutes left"),
    "deadline.overdue": _("Clock overdue"),
    "auth.locked_out": _("Login locked after failed attempts"),
    "response.proposed": _("Response level proposed"),
    "response.started": _("Response started"),
    "response.rejected": _("Response proposal rejected"),
    "response.level_changed": _("Response level changed"),
    "response.site_headquarters": _("On-site headquarters set up"),
    "response.condition_confirmed": _("End condition confirmed"),
    "response.handed_over": _("Command handed over"),
    "response.ended": _("Response ended"),
    "notice.acknowledged": _("Notice acknowledged"),
    "checklist.updated": _("Checklist item updated"),
    "warning.drafted": _("Warning drafted"),
    "warning.draft_edited": _("Warning draft edited"),
    "warning.submitted": _("Warning submitted for approval"),
    "warning.issued": _("Warning issued"),
    "warning.rejected": _("Warning rejected"),
    "warning.reported_up": _("Warning reported to the upper government"),
    "warning.updated": _("Warning updated"),
    "warning.channels": _("Warning channels changed"),
    "warning.lifted": _("Warning lifted"),
}
PREFIX_LABELS = {
    "directory.": _("Directory changed"),
    "response.playbookitem.": _("Playbook changed"),
}


def event_label(kind):
    if kind in EVENT_LABELS:
        return EVENT_LABELS[kind]
    for prefix, label in PREFIX_LABELS.items():
        if kind.startswith(prefix):
            return label
    return kind
