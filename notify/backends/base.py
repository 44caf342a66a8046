"""One sender interface, a backend per provider (notify.backends.backend_for).

A backend hands one message to one address and says what the provider answered; it keeps no
state of its own about messages. Statuses, retries, fallback to the next channel and
idempotency are the services' (notify.services): a backend is told the message's key and
passes it on where the provider takes one."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Outgoing:
    key: str  # idempotency key of this message to this recipient on this channel
    channel: str  # notify.choices.Channel
    address: str  # SMS: an 11-digit mainland mobile number; e-mail: an address; WeCom: a userid or ""
    text: str  # the whole text; for SMS what the phone shows, the signature excluded
    subject: str = ""  # e-mail only


@dataclass(frozen=True)
class Handed:
    """The provider took the message."""

    provider_ref: str  # the provider's id for it, which its receipts name
    segments: int = 1  # SMS segments billed


@dataclass(frozen=True)
class Receipt:
    """A delivery report."""

    provider_ref: str
    delivered: bool
    at: datetime
    code: str = ""  # the provider's status or error code


@dataclass(frozen=True)
class Reply:
    """A message a recipient sent back (an SMS reply)."""

    address: str
    text: str
    at: datetime


class SendFailure(Exception):
    """The provider did not take the message. Temporary (down, slow, throttled): try again
    later. Not temporary (a bad number, a rejected text): this channel will never carry it.
    Throttled: the account's rate was exceeded (not this message's fault, nor this number's):
    the message waits its turn, and the attempt is not counted (notify.services)."""

    def __init__(self, code, message="", *, temporary, throttled=False):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.temporary = temporary or throttled
        self.throttled = throttled


class Backend:
    channel = None  # the notify.choices.Channel it serves
    # The account's calls per second that all processes share (notify.pacing); 0: no limit.
    # Set from the channel's OPTIONS["max_per_second"] by notify.backends.backend_for.
    max_per_second = 0

    def __init__(self, **options):
        self.options = options

    def send(self, outgoing):
        """Hand `outgoing` over, blocking at most the backend's own timeout: a Handed, or
        SendFailure."""
        raise NotImplementedError

    def receipts(self):
        """Delivery reports that arrived since the last call (polled); [] for a provider
        that calls back instead."""
        return []

    def replies(self):
        """Replies that arrived since the last call."""
        return []

    def close(self):
        """Let go of connections."""
