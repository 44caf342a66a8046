"""The delivery board (/notify/deliveries/) and its Excel export: every delivery of every
message, who was sent what, through which channel, when, and what became of it, filtered as
the office asks (failed, undelivered after N minutes, unacknowledged; by incident, warning,
unit, channel). Read as rows (`values()`), the same rows for the page and the workbook;
addresses shown whole only to whoever may see every mobile number. A notice's escalation step
that went to nobody has no delivery: it is told beside the notice's messages, so the office
knows what to fill in the directory."""

from datetime import timedelta

import django_filters
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from directory.models import Unit
from directory.tabular import Column, workbook
from notify.choices import (
    ACKNOWLEDGED_MEANWHILE,
    NO_LEADER_IN_CHARGE,
    RESPONSE_OVER,
    Channel,
    DeliveryStatus,
    EscalationStep,
    MessageKind,
)
from notify.models import Delivery, Escalation, Message
from notify.reasons import in_words
from notify.sms_text import masked
from timeline.groups import list_separator
from zezhou_heat.permissions import VIEW_ALL_MOBILES

FAILED, UNDELIVERED, UNACKNOWLEDGED = "failed", "undelivered", "unacknowledged"
WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.SENT)
FIELDS = [
    "pk", "created_at", "recipient", "channel", "address", "status", "attempts", "handed_at",
    "delivered_at", "acknowledged_at", "error_code", "fallback_of__channel",
    "unit__short_name", "unit__name", "message_id", "message__kind", "message__text",
    "message__created_at", "message__incident_id", "message__warning_id",
    "message__notice_id", "message__notice__unit__short_name", "message__notice__unit__name",
]
COLUMNS = [
    Column("time", gettext_lazy("Time"), 16),
    Column("kind", gettext_lazy("Message"), 18),
    Column("concerns", gettext_lazy("Concerns"), 22),
    Column("recipient", gettext_lazy("Recipient"), 16),
    Column("unit", gettext_lazy("Unit"), 18),
    Column("channel", gettext_lazy("Channel"), 8),
    Column("address", gettext_lazy("Address"), 18),
    Column("status", gettext_lazy("Status"), 10),
    Column("sent_at", gettext_lazy("Sent at"), 16),
    Column("delivered_at", gettext_lazy("Delivered at"), 16),
    Column("acknowledged_at", gettext_lazy("Acknowledged at"), 16),
    Column("attempts", gettext_lazy("Attempts"), 8),
    Column("error", gettext_lazy("Last error"), 28),
    Column("fallback", gettext_lazy("Fallback"), 16),
    Column("skipped", gettext_lazy("Escalation steps skipped"), 36),
    Column("text", gettext_lazy("Text"), 60),
]


class DeliveryFilter(django_filters.FilterSet):
    """The board's filters; a value that does not fit its field is refused by name (the
    form's errors) and that filter left out."""

    show = django_filters.ChoiceFilter(
        label=gettext_lazy("Deliveries shown"), method="only", empty_label=gettext_lazy("All deliveries"),
        choices=[(FAILED, gettext_lazy("Failed")),
                 (UNDELIVERED, gettext_lazy("Not delivered after N minutes")),
                 (UNACKNOWLEDGED, gettext_lazy("Not acknowledged"))])
    minutes = django_filters.NumberFilter(
        label=gettext_lazy("N minutes"), method="no_filter",
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text=gettext_lazy("For “not delivered after N minutes”."))
    incident = django_filters.NumberFilter(
        label=gettext_lazy("Incident number"), field_name="message__incident_id",
        validators=[MinValueValidator(1)])
    warning = django_filters.NumberFilter(
        label=gettext_lazy("Warning number"), field_name="message__warning_id",
        validators=[MinValueValidator(1)])
    unit = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Unit"), queryset=Unit.objects.filter(merged_into__isnull=True),
        empty_label=gettext_lazy("All units"))
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel"), choices=Channel.choices,
        empty_label=gettext_lazy("All channels"))
    kind = django_filters.ChoiceFilter(
        label=gettext_lazy("Message"), field_name="message__kind", choices=MessageKind.choices,
        empty_label=gettext_lazy("All messages"))

    class Meta:
        model = Delivery
        fields = ["show", "minutes", "incident", "warning", "unit", "channel", "kind"]

    def only(self, queryset, name, value):
        if value == FAILED:
            return queryset.filter(status=DeliveryStatus.FAILED)
        if value == UNDELIVERED:
            return queryset.filter(status__in=WAITING, created_at__lte=timezone.now() - timedelta(
                minutes=self.minutes_wanted()))
        return queryset.filter(message__notice__isnull=False, acknowledged_at__isnull=True)

    def no_filter(self, queryset, name, value):
        return queryset  # read by `only`

    def minutes_wanted(self):
        return int(self.form.cleaned_data.get("minutes") or settings.NOTIFY_UNDELIVERED_MINUTES)


def deliveries(data):
    """The filter over every delivery, messages newest first and, within one, the
    recipients in the units' order and each one's fallbacks after the delivery they follow."""
    queryset = Delivery.objects.order_by(
        "-message__created_at", "-message_id", "unit__order", "recipient", "created_at", "pk")
    return DeliveryFilter(data, queryset=queryset)


def unreached(found):
    """The running responses' activation notices that went to nobody (their unit has no
    liaison and no mobile duty phone in the directory, so no delivery was made), within the
    board's filter: [{"incident_id", "units" (their short names, listed), "count"}], in one
    query. None when the
    filter leaves activation notices out or does not fit."""
    if not found.is_valid():
        return None
    wanted = found.form.cleaned_data
    if wanted.get("kind") not in (None, "", MessageKind.ACTIVATION) or wanted.get("channel") or (
            wanted.get("warning")):
        return None
    messages = Message.objects.filter(kind=MessageKind.ACTIVATION, deliveries__isnull=True,
                                      response__ended_at__isnull=True)
    if wanted.get("incident"):
        messages = messages.filter(incident_id=wanted["incident"])
    if wanted.get("unit"):
        messages = messages.filter(notice__unit=wanted["unit"])
    by_incident = {}
    for incident_id, unit in messages.order_by("-incident_id", "notice__unit__order").values_list(
            "incident_id", "notice__unit__short_name"):
        by_incident.setdefault(incident_id, []).append(unit)
    return [{"incident_id": pk, "units": list_separator().join(units), "count": len(units)}
            for pk, units in by_incident.items()]


class Board:
    """Deliveries as rows of the board's columns, addresses as the viewer may see them."""

    def __init__(self, viewer):
        self.whole = viewer.has_perm(VIEW_ALL_MOBILES)
        self.kinds, self.channels = dict(MessageKind.choices), dict(Channel.choices)
        self.statuses = dict(DeliveryStatus.choices)

    def rows(self, queryset):
        deliveries = list(queryset.values(*FIELDS))
        skipped = skipped_steps({d["message__notice_id"] for d in deliveries} - {None})
        for delivery in deliveries:
            yield self.row(delivery, skipped.get(delivery["message__notice_id"], []))

    def row(self, d, skipped):
        unit = d["unit__short_name"] or d["unit__name"] or ""
        fallback = d["fallback_of__channel"]
        return {
            "pk": d["pk"], "message_id": d["message_id"], "status_code": d["status"],
            "incident_id": d["message__incident_id"], "warning_id": d["message__warning_id"],
            "message_time": _moment(d["message__created_at"]),
            "time": _moment(d["created_at"]),
            "kind": str(self.kinds.get(d["message__kind"], d["message__kind"])),
            "concerns": self.concerns(d),
            "recipient": d["recipient"] or (_("%(unit)s duty phone") % {"unit": unit}
                                            if unit else ""),
            "unit": unit,
            "channel": str(self.channels.get(d["channel"], d["channel"])),
            "address": d["address"] if self.whole else masked(d["address"]),
            "status": str(self.statuses[d["status"]]),
            "sent_at": _moment(d["handed_at"]),
            "delivered_at": _moment(d["delivered_at"]),
            "acknowledged_at": _moment(d["acknowledged_at"]),
            "attempts": d["attempts"],
            "error": str(in_words(d["error_code"])),
            "fallback": _("after %(channel)s failed") % {
                "channel": self.channels.get(fallback, fallback)} if fallback else "",
            "text": d["message__text"],
            "skipped_steps": skipped,
            "skipped": "; ".join(f'{step["text"]} ({step["time"]})' for step in skipped),
        }

    def concerns(self, d):
        parts = []
        if d["message__incident_id"]:
            parts.append(f"#{d['message__incident_id']}")
        if d["message__warning_id"]:
            parts.append(_("warning #%(pk)s") % {"pk": d["message__warning_id"]})
        notice_unit = d["message__notice__unit__short_name"] or d["message__notice__unit__name"]
        if notice_unit:
            parts.append(_("notice to %(unit)s") % {"unit": notice_unit})
        return " · ".join(parts)


STEP_NAMES = {EscalationStep.LEADER_IN_CHARGE: gettext_lazy("Step 1 (leader in charge)"),
              EscalationStep.OFFICE_DIRECTOR: gettext_lazy("Step 2 (office director)")}
SKIPPED_BECAUSE = {
    NO_LEADER_IN_CHARGE: gettext_lazy("no leader in charge set, skipped"),
    ACKNOWLEDGED_MEANWHILE: gettext_lazy("acknowledged before it was sent, not sent"),
    RESPONSE_OVER: gettext_lazy("response ended or handed over before it was sent, not sent"),
}


def skipped_steps(notice_ids):
    """{notice id: [{"step", "text", "time"}]}: the escalation steps of these notices that
    went to nobody, and why, in one query."""
    steps = {}
    for notice_id, step, why, at in Escalation.objects.filter(
            notice__in=notice_ids).exclude(skipped="").order_by("notice_id", "step").values_list(
            "notice_id", "step", "skipped", "created_at"):
        text = _("%(step)s: %(why)s") % {"step": STEP_NAMES.get(step, step),
                                         "why": SKIPPED_BECAUSE.get(why, why)}
        steps.setdefault(notice_id, []).append({"step": step, "text": text,
                                                "time": _moment(at)})
    return steps


def to_xlsx(viewer, queryset):
    """The filtered board as an Excel workbook: the same columns, masked the same way."""
    return workbook(COLUMNS, Board(viewer).rows(queryset), _("Deliveries"))


def _moment(value):
    return timezone.localtime(value).strftime("%m-%d %H:%M:%S") if value else ""


def delivery_counts(queryset, by):
    """{value of `by`: {"recipients": m, "delivered": n, "acknowledged": k}} over the
    activation notices' deliveries in `queryset`, as ONE grouped query. A recipient is a
    delivery that follows none (its fallbacks are the same recipient); only one delivery of a
    recipient can be delivered, as a fallback follows a failure."""
    first = Q(fallback_of__isnull=True)
    rows = queryset.filter(message__kind=MessageKind.ACTIVATION).values(by).annotate(
        recipients=Count("pk", filter=first),
        delivered=Count("pk", filter=Q(status=DeliveryStatus.DELIVERED)),
        acknowledged=Count("pk", filter=first & Q(acknowledged_at__isnull=False))).order_by()
    return {row.pop(by): row for row in rows}
