"""Acknowledging an activation notice without logging in: a short link in the notice's SMS
or WeCom text, or an SMS reply carrying the link's code.

The code: 10 characters of Crockford's base32 (0-9 and a-z without i, l, o, u: 50 bits), so
the whole link (`https://host/a/k7q2m9xj4p`) costs an SMS about 30 of its 70 characters and a
reply can carry it typed by hand (i and l read as 1, o as 0, any case). It is single purpose:
one AckLink row per notice and person, and acting on it calls the same service as the 确认收到
button (response.services.notice_acknowledged) with that person's account as the actor, so
the authority check and the timeline event are the button's, the event saying it came
through the link ("via").

Signed, not stored: the code is an HMAC (keyed by SECRET_KEY) of a random salt kept in the
row, so link_for gives the same link every time it is asked (a retry, or the next channel
after a failed SMS, carries the same link), and the database alone does not let anyone
acknowledge in someone's name. The row is found by an HMAC of the code, a value an attacker
cannot steer, so the lookup's timing says nothing about any real code; the code is then
recomputed from the salt and compared with `hmac.compare_digest`.

It dies with its notice: once the notice is acknowledged (by anyone, by any path), its clock
is cancelled (the response ended or was handed over), or NOTIFY_ACK_LINK_HOURS have passed.
Used once, it is marked used (and its notice is acknowledged, so it cannot act again).
Guessing is limited per client address: NOTIFY_ACK_LINK_MISSES unknown codes in 15 minutes,
then refusal until the window passes (50 bits make a guess hopeless anyway).
"""

import base64
import hmac
import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from directory.choices import PositionCode
from directory.models import Person
from directory.selectors import held_units
from notify.models import AckLink, AckLinkMiss
from notify.sms_text import masked, mobile_number
from response.choices import RUNNING_STATES
from response.services import notice_acknowledged
from zezhou_heat.errors import StateConflict

log = logging.getLogger(__name__)

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford's base32, lower case
CODE_LENGTH = 10
READ_AS = str.maketrans({"i": "1", "l": "1", "o": "0"})
CODE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{10}(?![0-9A-Za-z])")
MISS_WINDOW = timedelta(minutes=15)

# What a link's page says about it (AckLink state).
OPEN, ACKNOWLEDGED, CLOSED, EXPIRED = "open", "acknowledged", "closed", "expired"


BASE32_TO_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)


def code_from(salt):
    """The link's code: the first 50 bits of an HMAC of its salt, in Crockford's base32."""
    mac = salted_hmac("notify.ack_links.code", salt, algorithm="sha256").digest()
    return base64.b32encode(mac).decode()[:CODE_LENGTH].translate(BASE32_TO_CROCKFORD)


def normalised(code):
    """The code as stored, from what was typed or tapped; None if it cannot be one."""
    code = (code or "").strip().lower().translate(READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def digest(code):
    return salted_hmac("notify.ack_links", code, algorithm="sha256").hexdigest()


# --- making a link -----------------------------------------------------------------------


def may_acknowledge(person, notice):
    """Whether the link could act at all: the person has an account that holds the liaison
    position of the notice's unit (what notice_acknowledged checks)."""
    return person.user_id is not None and notice.unit_id in held_units(
        person.user, PositionCode.UNIT_LIAISON)


def link_for(notice, person):
    """The link acknowledging `notice` for `person`, as the absolute URL to put in the
    message's text (the same one every time); "" when that person could not acknowledge it
    (no account, not its unit's liaison), so the text promises nothing it cannot keep.
    Only for channels that reach that person alone (SMS, a WeCom application message, e-mail):
    in a group robot's post anyone in the group could acknowledge in the person's name."""
    if not may_acknowledge(person, notice):
        return ""
    link = AckLink.objects.filter(notice=notice, person=person).first()
    if link is None:
        salt = secrets.token_hex(16)
        link, _created = AckLink.objects.get_or_create(
            notice=notice, person=person, defaults={
                "salt": salt, "digest": digest(code_from(salt)),
                "expires_at": timezone.now() + timedelta(hours=settings.NOTIFY_ACK_LINK_HOURS)})
    return settings.NOTIFY_LINK_BASE_URL.rstrip("/") + reverse("notify:ack",
                                                               args=[code_from(link.salt)])


def code_of(url):
    """The code at the end of a link made by link_for."""
    return url.rstrip("/").rsplit("/", 1)[-1]


# --- reading a link ----------------------------------------------------------------------


def find(code):
    """The link with this code (and its notice, person, response, incident), or None."""
    code = normalised(code)
    if code is None:
        return None
    link = AckLink.objects.select_related(
        "person__user", "notice__unit", "notice__deadline", "notice__acknowledged_by",
        "notice__response__incident__township").filter(digest=digest(code)).first()
    if link is None or not hmac.compare_digest(code_from(link.salt), code):
        return None
    return link


def state_of(link, now=None):
    """OPEN, or why it no longer acts: ACKNOWLEDGED (by anyone), CLOSED (the response no
    longer waits for it), EXPIRED (past NOTIFY_ACK_LINK_HOURS)."""
    notice = link.notice
    if notice.acknowledged_at:
        return ACKNOWLEDGED
    if notice.deadline.cancelled_at or notice.response.state not in RUNNING_STATES:
        return CLOSED
    if link.used_at or (now or timezone.now()) >= link.expires_at:
        return EXPIRED
    return OPEN


def too_many_misses(address):
    since = timezone.now() - MISS_WINDOW
    return AckLinkMiss.objects.filter(address=address, at__gte=since).count() >= (
        settings.NOTIFY_ACK_LINK_MISSES)


def miss_recorded(address):
    """An unknown code was opened from `address`; old misses are forgotten on the way."""
    AckLinkMiss.objects.filter(at__lt=timezone.now() - MISS_WINDOW).delete()
    AckLinkMiss.objects.create(address=address)


# --- acting on it --------------------------------------------------------------------------


@transaction.atomic
def acknowledged_by_link(*, link, via="link"):
    """The person acknowledges the link's notice: the link is marked used, and the notice is
    acknowledged by the one service that does it, the person's account as actor. Raises
    StateConflict (with the reason in words) when the link no longer acts."""
    link = AckLink.objects.select_for_update(of=("self",)).select_related(
        "person__user", "notice__deadline", "notice__response").get(pk=link.pk)
    now = timezone.now()
    state = state_of(link, now)
    if state == EXPIRED:
        raise StateConflict(expired_message())
    if link.person.user is None:  # the account was removed after the message went
        raise PermissionDenied(_("This link's person no longer has an account."))
    link.used_at = now
    link.save(update_fields=["used_at"])
    # An acknowledged or closed notice is refused by the service itself, in its own words.
    return notice_acknowledged(actor=link.person.user, notice=link.notice, via=via)


def expired_message():
    return _("This link has expired. Open the dashboard and acknowledge the notice there, "
             "or call the headquarters office.")


def acknowledge_by_reply(address, text):
    """An SMS reply from `address` (a mobile number) acknowledges the open notice whose code
    `text` contains, if that code was sent to the person with that number. Returns the
    notice acknowledged, or None (no such person or code, or the notice no longer waits)."""
    number = mobile_number(address)
    person = number and Person.objects.filter(mobile=number).select_related("user").first()
    if not person:
        log.info("Reply from %s: no person has this number", masked(number or address))
        return None
    for candidate in CODE_IN_TEXT.findall(text or ""):
        link = find(candidate)
        if link is None or link.person_id != person.pk:
            continue
        try:
            return acknowledged_by_link(link=link, via="reply")
        except (StateConflict, PermissionDenied) as refused:
            log.info("Reply from %s: not acknowledged (%s)", masked(number), refused)
            return None
    log.info("Reply from %s: no code of theirs in it", masked(number))
    return None

