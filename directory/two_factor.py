"""Two-factor sign-in: who must give a second factor, whether a session has, and checking a
code. One rule for the pages (directory.middleware), the API's token (directory.api), the live
socket (command_room.consumers) and the administrators' overview.

The second factor is django-otp's: a TOTP device (an authenticator app, 6 digits every 30 s)
and a static device holding the recovery codes, each usable once. Enrolling and resetting are
writes and live in directory.services (`two_factor_enrolled`, `two_factor_reset`)."""

from base64 import b32encode
from io import BytesIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.authority import TWO_FACTOR_POSITIONS
from directory.models import PositionHolding

RECOVERY_CODES = 10
# django-otp doubles the wait after each wrong code (1, 2, 4 … s) without a ceiling: someone
# who has the password could then lock the holder out of the second factor for days. Counting
# at most this many failures keeps the wait at 2⁹ s (8½ minutes) at most: about 170 guesses a
# day against a code one in a million (three accepted at a time), and never a lock-out.
MAX_FAILURES_COUNTED = 10
VERIFY, ENROL = "verify", "enrol"
# Where an enrolment in progress keeps its secret until a code confirms it (nothing is
# written to the database before that).
SESSION_KEY = "two_factor_key"


def required_for(user):
    """Whether `user` is privileged enough to need a second factor (whatever the setting):
    superusers, staff accounts and holders of TWO_FACTOR_POSITIONS."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return PositionHolding.objects.filter(
        person__user=user, position__code__in=TWO_FACTOR_POSITIONS).exists()


def enforced_for(user):
    """Whether this deployment makes `user` give a second factor (settings.TWO_FACTOR_REQUIRED,
    True under production settings)."""
    return bool(settings.TWO_FACTOR_REQUIRED) and required_for(user)


def totp_device(user):
    """The user's confirmed authenticator device, or None."""
    if user is None or not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def next_step(user):
    """For a signed-in user whose session has not given a second factor: VERIFY (they have a
    device: whoever enrolled is asked, required or not), ENROL (required and no device yet) or
    None (nothing asked of them)."""
    if user is None or not user.is_authenticated:
        return None
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return VERIFY
    return ENROL if enforced_for(user) else None


def session_verified(user, session):
    """Whether the session (a mapping, such as a socket's scope["session"]) was verified with
    one of `user`'s confirmed devices: what django_otp.middleware.OTPMiddleware decides for
    a request."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    return device is not None and device.user_id == user.pk and device.confirmed


def session_pending(user, session):
    """Whether this session still owes a second factor: the live socket refuses it then."""
    return not session_verified(user, session) and next_step(user) is not None


# --- codes ---------------------------------------------------------------------------------


def normalised(code):
    """What a person typed, as the devices compare it: no spaces or hyphens, lower case."""
    return "".join(str(code or "").split()).replace("-", "").lower()


def is_totp_shape(code):
    return len(code) == 6 and code.isdigit()


def verify_code(user, code):
    """Check a 6-digit authenticator code, or else a recovery code (consumed when it matches),
    against `user`'s devices. Returns the device that accepted it; raises ValidationError with
    the message to show otherwise. Each device throttles wrong codes (django-otp: 1, 2, 4 …
    seconds before it checks another, up to MAX_FAILURES_COUNTED), so codes cannot be guessed
    and the holder is never locked out for long."""
    code = normalised(code)
    if not code:
        raise ValidationError(_("Enter the 6-digit code from your authenticator app, or a "
                                "recovery code."), code="required")
    with transaction.atomic():
        model = TOTPDevice if is_totp_shape(code) else StaticDevice
        device = model.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is None:
            raise ValidationError(_("The code is wrong or has expired."), code="invalid")
        device.throttling_failure_count = min(device.throttling_failure_count,
                                              MAX_FAILURES_COUNTED)
        allowed, details = device.verify_is_allowed()
        if not allowed:
            until = timezone.localtime((details or {}).get("locked_until") or timezone.now())
            raise ValidationError(
                _("Too many wrong codes: try again after %(time)s.")
                % {"time": formats.time_format(until, "H:i:s")}, code="throttled")
        if device.verify_token(code):
            return device
    raise ValidationError(_("The code is wrong or has expired."), code="invalid")


def recovery_codes_left(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


# --- enrolment -------------------------------------------------------------------------------


def new_key():
    """A fresh secret (hex, 20 random bytes) for an enrolment in progress."""
    from django_otp.plugins.otp_totp.models import default_key

    return default_key()


def enrolment_device(user, key):
    """An unsaved device for `key`: what the authenticator app is given (config_url)."""
    return TOTPDevice(user=user, key=key, name=_("Authenticator app"), confirmed=False)


def secret_text(device):
    """The secret as an authenticator app takes it when typed: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_svg(url):
    """The otpauth:// address as an SVG QR code (bytes), drawn here: nothing is fetched."""
    from django_otp.qr import write_qrcode_image

    out = BytesIO()
    write_qrcode_image(url, out)
    return out.getvalue()


# --- the administrators' overview -----------------------------------------------------------


def accounts_overview():
    """Active accounts that need a second factor or have one, each annotated with `enrolled`
    and `codes_left`: what the administrators' page lists (a fixed number of queries)."""
    users = get_user_model().objects
    codes = (StaticToken.objects.filter(device__user=OuterRef("pk"), device__confirmed=True)
             .order_by().values("device__user").annotate(n=Count("pk")).values("n"))
    privileged = Q(is_superuser=True) | Q(is_staff=True) | Q(pk__in=PositionHolding.objects.filter(
        position__code__in=TWO_FACTOR_POSITIONS, person__user__isnull=False,
    ).values("person__user"))
    enrolled = Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    return (users.filter(is_active=True).annotate(enrolled=enrolled)
            .filter(privileged | Q(enrolled=True))
            .annotate(codes_left=Coalesce(Subquery(codes), 0))
            .select_related("person").order_by("username"))
