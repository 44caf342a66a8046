"""Acknowledging an activation notice without logging in: a short link in the notice's SMS
or WeCom text, or an SMS reply carrying the link's code.

The code: 10 characters of Crockford's base32 (0-9 and a-z without i, l, o, u; 50 random
bits from `secrets`), so the whole link (`https://host/a/k7q2m9xj4p`) costs an SMS about 30 of
its 70 characters and a reply can carry it typed by hand (i and l read as 1, o as 0, any case).
It is single purpose: a row (AckLink) ties it to one notice and one person, and acting on it
calls the same service as the 确认收到 button (response.services.notice_acknowledged) with that
person's account as the actor, so the authority check and the timeline event are those of
the button, the event saying it came through the link ("via").

Only an HMAC of the code (keyed by SECRET_KEY) is stored, like a password: the database
alone does not let anyone acknowledge in someone's name. The row is found by that HMAC, a
value an attacker cannot steer, so the lookup's timing says nothing about any real code (no
string comparison of the secret happens at all; hence no `hmac.compare_digest` is needed).

It dies with its notice: once the notice is acknowledged (by anyone, by any path), its clock
is cancelled (the response ended or was handed over), or NOTIFY_ACK_LINK_HOURS have passed.
Used once, it is marked used (and its notice is acknowledged, so it could not act again).
Guessing is limited per client address: NOTIFY_ACK_LINK_MISSES unknown codes in 15 minutes,
then refusal until the window passes; 50 bits make a guess hopeless anyway.
"""

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


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


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
    """A new link acknowledging `notice` for `person`, as the absolute URL to put in the
    message's text; "" when that person could not acknowledge it (no account, not its
    unit's liaison), so the text says nothing it cannot keep. Call it once per message and
    keep the text: only the code's HMAC is stored, the code cannot be shown again."""
    if not may_acknowledge(person, notice):
        return ""
    code = new_code()
    AckLink.objects.create(notice=notice, person=person, digest=digest(code),
                           expires_at=timezone.now() + timedelta(hours=settings.NOTIFY_ACK_LINK_HOURS))
    return settings.NOTIFY_LINK_BASE_URL.rstrip("/") + reverse("notify:ack", args=[code])


def code_of(url):
    """The code at the end of a link made by link_for."""
    return url.rstrip("/").rsplit("/", 1)[-1]


# --- reading a link ----------------------------------------------------------------------


def find(code):
    """The link with this code (and its notice, person, response, incident), or None."""
    code = normalised(code)
    if code is None:
        return None
    return AckLink.objects.select_related(
        "person__user", "notice__unit", "notice__deadline", "notice__acknowledged_by",
        "notice__response__incident__township").filter(digest=digest(code)).first()


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
    person = Person.objects.filter(mobile=mobile_number(address)).select_related("user").first()
    if person is None:
        log.info("Reply from %s: no person has this number", masked(address))
        return None
    for candidate in CODE_IN_TEXT.findall(text or ""):
        code = normalised(candidate)
        link = code and AckLink.objects.filter(digest=digest(code), person=person).first()
        if not link:
            continue
        try:
            return acknowledged_by_link(link=link, via="reply")
        except (StateConflict, PermissionDenied) as refused:
            log.info("Reply from %s: not acknowledged (%s)", masked(address), refused)
            return None
    log.info("Reply from %s: no code of theirs in it", masked(address))
    return None


def mobile_number(address):
    """11 digits from "+86 138 0000 0000", "8613800000000" and the like."""
    digits = re.sub(r"\D", "", address or "")
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def masked(address):
    """A number as logs show it: 138****0000."""
    number = mobile_number(address)
    return f"{number[:3]}****{number[-4:]}" if len(number) >= 7 else "****"
