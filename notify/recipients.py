"""Who receives a message, and at which addresses: the recipient rules (notify.models.
RecipientRule) applied to a cause. Reads only; the services write the deliveries."""

from dataclasses import dataclass, field

from directory.choices import PositionCode
from directory.models import Person
from directory.selectors import shifts_on_duty
from notify.choices import Audience, Channel
from notify.models import ChannelAddress, RecipientRule
from notify.sms_text import mobile_number

# Positions held for one unit: the unit's contacts when a message concerns the unit.
UNIT_CONTACT_POSITIONS = (PositionCode.UNIT_LIAISON, PositionCode.TOWNSHIP_OFFICER)


@dataclass(frozen=True)
class Concerned:
    """What a cause concerns, as the audiences need it."""

    units: tuple = ()  # Unit instances whose contacts (and duty phones) are told
    deciders: tuple = ()  # position codes that may decide the level concerned
    level: str = ""  # a warning's level, for rules limited to levels
    office: bool = False  # the office director is concerned (an escalation's last step)


@dataclass
class Recipient:
    """One person (or one unit's duty phone) and the channels to try, in order, each with the
    address to use; channels without an address are left out."""

    ref: str  # "p12" (a person) or "u3" (a unit's duty phone): part of the idempotency key
    person: Person | None = None
    unit: object = None
    channels: list = field(default_factory=list)  # [(channel, address)]
    wanted: tuple = ()  # the rule's channels, with or without an address


def recipients_for(kind, concerned):
    """The recipients of a message of `kind`, each once (the first rule that names a person
    decides their channels), in the rules' order."""
    found = {}
    rules = RecipientRule.objects.filter(kind=kind, active=True).prefetch_related("positions")
    for rule in rules:
        if rule.levels and concerned.level not in rule.levels:
            continue
        for recipient in _audience(rule, concerned):
            if recipient.ref not in found:
                found[recipient.ref] = recipient
    _fill_addresses(list(found.values()))
    # A duty phone that is a landline takes no message: not a recipient. A person without any
    # address stays one (their delivery fails with "no address", for the board to show).
    return [r for r in found.values() if r.person is not None or r.channels]


def _audience(rule, concerned):
    if rule.audience == Audience.UNIT_DUTY_PHONE:
        return [Recipient(ref=f"u{unit.pk}", unit=unit, wanted=tuple(rule.channels))
                for unit in concerned.units]
    people = _people(rule, concerned)
    return [Recipient(ref=f"p{person.pk}", person=person, unit=person.unit,
                      wanted=tuple(rule.channels)) for person in people]


def _people(rule, concerned):
    people = Person.objects.select_related("unit", "user").order_by("unit__order", "name")
    if rule.audience == Audience.UNIT_CONTACTS:
        return list(people.filter(holdings__position__code__in=UNIT_CONTACT_POSITIONS,
                                  holdings__unit__in=[u.pk for u in concerned.units]).distinct())
    if rule.audience == Audience.DECIDERS:
        return list(people.filter(holdings__position__code__in=concerned.deciders).distinct())
    if rule.audience == Audience.POSITIONS:
        return list(people.filter(holdings__position__in=rule.positions.all()).distinct())
    if rule.audience == Audience.ON_CALL:
        return on_call()
    if rule.audience == Audience.LEADER_IN_CHARGE:
        return list(people.filter(units_led__in=[u.pk for u in concerned.units]).distinct())
    if rule.audience == Audience.OFFICE_DIRECTOR and concerned.office:
        return office_directors()
    return []


def office_directors():
    return list(Person.objects.select_related("unit", "user").order_by("unit__order", "name")
                .filter(holdings__position__code=PositionCode.OFFICE_DIRECTOR).distinct())


def on_call():
    """The office director(s) and the duty officers on shift now; every duty officer when the
    roster has nobody on shift, so a clock is never told to no one."""
    people = Person.objects.select_related("unit", "user").order_by("unit__order", "name")
    directors = office_directors()
    duty = people.filter(holdings__position__code=PositionCode.DUTY_OFFICER)
    on_shift = {shift.person_id for shift in shifts_on_duty()}
    officers = list(duty.filter(pk__in=on_shift)) or list(duty)
    return list({p.pk: p for p in [*directors, *officers]}.values())


def _fill_addresses(recipients):
    persons = [r.person.pk for r in recipients if r.person]
    extra = {}
    for entry in ChannelAddress.objects.filter(person__in=persons):
        extra[(entry.person_id, entry.channel)] = entry.address
    for recipient in recipients:
        for channel in recipient.wanted:
            address = address_of(recipient, channel, extra)
            if address:
                recipient.channels.append((channel, address))


def address_of(recipient, channel, extra=None):
    """The address of a recipient on a channel, or "": a person's own channel address first
    (ChannelAddress), else the directory's mobile (SMS) or the login's e-mail; a unit's duty
    phone takes SMS when it is a mobile number."""
    if recipient.person is None:
        return mobile_number(recipient.unit.duty_phone) if channel == Channel.SMS else ""
    person = recipient.person
    if extra is None:
        extra = dict(ChannelAddress.objects.filter(person=person).values_list("channel", "address"))
        own = extra.get(channel, "")
    else:
        own = extra.get((person.pk, channel), "")
    if own:
        return own
    if channel == Channel.SMS:
        return mobile_number(person.mobile)
    if channel == Channel.EMAIL and person.user_id:
        return person.user.email
    return ""
