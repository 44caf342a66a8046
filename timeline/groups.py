"""Events that say the same thing of many member units at once read as one line naming them.

When the activation notice of incident #2 goes unacknowledged by 17 units, 17 clocks fall
overdue together; the live feed and the notifications page show one line, "#2 高都镇：17个单位启动
通知确认超时（县住建局、县公安局…）", not 17 identical ones. One rule for both: which events share a
line (`group_key`) and how the line reads (`line_template`, `units_line`). The line is worded
when it is read, in the reader's language; the units are the names the events carry.

This module is the floor: it knows the clock kinds by their stored values, not by import.
"""

from django.utils.translation import gettext, ngettext, pgettext

GROUPED_KINDS = ("deadline.overdue", "deadline.reminder")
UNIT_CLOCK = "notice_ack"  # incidents.choices.DeadlineKind.NOTICE_ACK: owed by a member unit
# The deliveries of one kind of message on one incident (notify): "#2 高都镇：消息已送达22个单位
# （县住建局、…）".
# A unit's silence taken a step up (notify's escalation), per incident and step.
ESCALATED = "notice.escalated"
DELIVERY_KINDS = ("notify.delivery.sent", "notify.delivery.delivered", "notify.delivery.failed",
                  "notify.delivery.retrying", "notify.delivery.fallback")


def group_key(kind, new, incident_id):
    """The key shared by the events one line stands for (a unit's notice clock reminded or
    overdue: per incident, event kind and clock kind), or None for an event shown alone."""
    new = new or {}
    if kind in DELIVERY_KINDS and new.get("unit") and new.get("kind") and incident_id:
        return f"{kind}:{new['kind']}:{incident_id}"  # e.g. the activation notices of #2
    if kind in GROUPED_KINDS and new.get("kind") == UNIT_CLOCK and new.get("unit") and incident_id:
        return f"{kind}:{UNIT_CLOCK}:{incident_id}"
    if kind == ESCALATED and new.get("unit") and incident_id:
        return f"{kind}:{new.get('step')}:{incident_id}"
    return None


def line_template(kind, count):
    """The line for `count` units, with `%(count)s` still to fill, in the active language."""
    if kind in DELIVERY_KINDS:
        return _delivery_line(kind, count)
    if kind == ESCALATED:
        return ngettext("%(count)s unit still silent on the activation notice, taken a step up",
                        "%(count)s units still silent on the activation notice, taken a step up",
                        count)
    if kind == "deadline.overdue":
        return ngettext("%(count)s unit overdue acknowledging the activation notice",
                        "%(count)s units overdue acknowledging the activation notice", count)
    return ngettext("%(count)s unit with 10 minutes left to acknowledge the activation notice",
                    "%(count)s units with 10 minutes left to acknowledge the activation notice",
                    count)


def _delivery_line(kind, count):
    if kind == "notify.delivery.sent":
        return ngettext("Message sent to %(count)s unit", "Message sent to %(count)s units", count)
    if kind == "notify.delivery.delivered":
        return ngettext("Message delivered to %(count)s unit",
                        "Message delivered to %(count)s units", count)
    if kind == "notify.delivery.failed":
        return ngettext("Message failed for %(count)s unit",
                        "Message failed for %(count)s units", count)
    if kind == "notify.delivery.retrying":
        return ngettext("Message to %(count)s unit to be retried",
                        "Messages to %(count)s units to be retried", count)
    return ngettext("Message to %(count)s unit sent on another channel",
                    "Messages to %(count)s units sent on another channel", count)


def units_line(text, units):
    """`text` followed by the units' names: "…超时（县住建局、县公安局）"."""
    return gettext("%(text)s (%(units)s)") % {"text": text, "units": list_separator().join(units)}


def list_separator():
    return pgettext("between names in a list", ", ")


def incident_line(incident_label, text):
    """A line about an incident, led by it: "#2 高都镇：…"."""
    return gettext("%(incident)s: %(text)s") % {"incident": incident_label, "text": text}


def grouped(items, key):
    """`items` (newest first) folded into groups, in the order of each group's newest item:
    [(group key or None, [items])]; an item without a key is a group of its own."""
    groups, index = [], {}
    for item in items:
        group = key(item)
        if group is None:
            groups.append((None, [item]))
        elif group in index:
            groups[index[group]][1].append(item)
        else:
            index[group] = len(groups)
            groups.append((group, [item]))
    return groups
