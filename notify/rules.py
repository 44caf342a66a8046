"""Who receives what by default (issue 14, plan §3.3, §4.3, §4.4): the recipient rules
load_plan writes once, for an administrator to read and change in the admin afterwards.

- Activation notices: each notified unit's liaisons (SMS, then WeCom, then e-mail) and the
  unit's 24-hour duty phone when it is a mobile number (SMS).
- Approval requests: the positions that may decide the level (response.authority,
  early_warnings.authority), with the link to the decisions inbox.
- Clock reminders and overdue alerts: the office director and the duty officers on shift.
- Warnings, by level: every level to the liaisons of the member units and the officers of
  the townships in the warning's area, and to the office on call; 较大 and 重大以上 also to
  the commander and the deputy commanders (who approve them, plan §3.3).
- A response's level change and end: the contacts of the units it notified.
- An activation notice left unacknowledged (notify.escalation): its unit's leader in charge,
  then the office director (SMS, then WeCom, then e-mail)."""

from directory.choices import PositionCode
from directory.models import Position
from directory.services import SYSTEM, related_set_with_event, saved_with_event
from notify.choices import Audience, Channel, MessageKind
from notify.models import RecipientRule

ALL_CHANNELS = [Channel.SMS, Channel.WECOM, Channel.EMAIL]
K, A = MessageKind, Audience

DEFAULTS = [
    # (kind, audience, channels, positions, warning levels)
    (K.ACTIVATION, A.UNIT_CONTACTS, ALL_CHANNELS, (), ()),
    (K.ACTIVATION, A.UNIT_DUTY_PHONE, [Channel.SMS], (), ()),
    (K.APPROVAL, A.DECIDERS, ALL_CHANNELS, (), ()),
    (K.CLOCK_REMINDER, A.ON_CALL, [Channel.SMS, Channel.WECOM], (), ()),
    (K.CLOCK_OVERDUE, A.ON_CALL, ALL_CHANNELS, (), ()),
    (K.WARNING, A.UNIT_CONTACTS, ALL_CHANNELS, (), ()),
    (K.WARNING, A.ON_CALL, ALL_CHANNELS, (), ()),
    (K.WARNING, A.POSITIONS, ALL_CHANNELS,
     (PositionCode.COMMANDER, PositionCode.DEPUTY_COMMANDER), ("larger", "major")),
    (K.LEVEL_CHANGE, A.UNIT_CONTACTS, ALL_CHANNELS, (), ()),
    (K.RESPONSE_END, A.UNIT_CONTACTS, ALL_CHANNELS, (), ()),
    (K.ESCALATION, A.LEADER_IN_CHARGE, ALL_CHANNELS, (), ()),
    (K.ESCALATION, A.OFFICE_DIRECTOR, ALL_CHANNELS, (), ()),
]


def load_default_rules():
    """Write the default rules of each kind that has none yet (an administrator's rules are
    left as they are). Returns how many were written."""
    have = set(RecipientRule.objects.values_list("kind", flat=True))
    written = 0
    for order, (kind, audience, channels, positions, levels) in enumerate(DEFAULTS, start=1):
        if kind in have:
            continue
        rule = RecipientRule(kind=kind, audience=audience, channels=[str(c) for c in channels],
                             levels=list(levels), order=order)
        saved_with_event(actor=SYSTEM, instance=rule, kind="notify.rule")
        if positions:
            related_set_with_event(actor=SYSTEM, instance=rule, field_name="positions",
                                   objects=list(Position.objects.filter(code__in=positions)),
                                   kind="notify.rule")
        written += 1
    return written
