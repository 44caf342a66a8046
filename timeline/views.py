from dataclasses import dataclass
from functools import partial

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from timeline.groups import group_key, grouped, line_template, units_line
from timeline.services import notifications_read
from zezhou_heat.forms import Form
from zezhou_heat.views import page_action

ROWS = 200        # rows shown, after grouping
READ_AHEAD = 2000  # notifications read to make them


class NotificationsReadForm(Form):
    """Which notifications to mark read: those of one row, or (none given) all."""

    notification = forms.TypedMultipleChoiceField(
        label=_("Notice"), coerce=int, required=False,
        error_messages={"invalid_choice": _("Not a notice of yours: %(value)s.")})

    def __init__(self, *args, recipient, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notification"].choices = [
            (pk, pk) for pk in recipient.notifications.values_list("pk", flat=True)]


@dataclass
class NotificationRow:
    """One row of the notifications page: one notification, or the notifications of many
    units' clocks that one line stands for (timeline.groups)."""

    notifications: list  # newest first

    @property
    def event(self):
        return self.notifications[0].event

    @property
    def unread(self):
        return any(n.read_at is None for n in self.notifications)

    @property
    def unread_ids(self):
        return [n.pk for n in self.notifications if n.read_at is None]

    @property
    def units(self):
        names = [n.event.new["unit"] for n in reversed(self.notifications)]
        return list(dict.fromkeys(names))

    def text(self):
        """The grouped line ("17个单位启动通知确认超时（县住建局、…）"); None for a single event."""
        if not group_key(self.event.kind, self.event.new, self.event.incident_id):
            return None
        units = self.units
        line = line_template(self.event.kind, len(units)) % {"count": len(units)}
        return units_line(line, units)


def _notification_group(notification):
    event = notification.event
    return group_key(event.kind, event.new, event.incident_id)


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    """What the clocks and the decisions said to this user, many units' clocks on one row
    naming them; POST marks one row read, or all."""
    if request.method == "POST":
        return page_action(request, notifications_read,
                           partial(NotificationsReadForm, recipient=request.user),
                           back=reverse("notifications"))
    mine = request.user.notifications.select_related("event", "event__incident__township")
    rows = [NotificationRow(items) for _key, items in
            grouped(mine[:READ_AHEAD], key=_notification_group)][:ROWS]
    return render(request, "notifications.html", {"rows": rows})
