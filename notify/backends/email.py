"""E-mail through an SMTP server of the county's, with Django's e-mail API and a connection of
the backend's own (not settings.EMAIL_*, which the site's own mail may use elsewhere).

The Message-ID is made from the Outgoing key, so a resend of one message carries the same
Message-ID: a mail server or a reader's client can tell it is the same message, and the
provider_ref (which is that Message-ID) names it in the delivery board.

SMTP answers: 4xx (and a dropped or refused connection, a timeout) are temporary; 5xx (a
recipient refused, the message rejected, the login refused) are permanent for this message.
"""

import contextlib
import re
import smtplib
import threading

from django.core.mail import EmailMessage, get_connection

from notify.backends.base import Backend, Handed, SendFailure
from notify.choices import Channel

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
NOT_IN_MESSAGE_ID = re.compile(r"[^A-Za-z0-9.\-_+=]")


def message_id(key, domain):
    """`<notify.KEY@domain>`, the key kept to the characters a Message-ID allows."""
    return f"<notify.{NOT_IN_MESSAGE_ID.sub('-', key)}@{domain}>"


class EmailBackend(Backend):
    """Options: `host`, `port`, `username`, `password`, `use_tls` (STARTTLS), `use_ssl`,
    `timeout` (seconds), `from_email`, and `message_id_domain` (by default the domain of
    `from_email`)."""

    channel = Channel.EMAIL

    def __init__(self, *, host="localhost", port=25, username="", password="", use_tls=False,
                 use_ssl=False, timeout=10, from_email="", message_id_domain="", **options):
        super().__init__(**options)
        if use_tls and use_ssl:
            raise ValueError("E-mail: use_tls (STARTTLS) and use_ssl are exclusive")
        if "@" not in from_email:
            raise ValueError("E-mail: from_email must be an address")
        self.from_email = from_email
        self.domain = message_id_domain or from_email.rsplit("@", 1)[1].strip(">")
        self._settings = {"host": host, "port": int(port), "username": username,
                          "password": password, "use_tls": use_tls, "use_ssl": use_ssl,
                          "timeout": timeout}
        self._connection = None
        self._lock = threading.Lock()

    def send(self, outgoing):
        ref = message_id(outgoing.key, self.domain)
        mail = EmailMessage(subject=outgoing.subject, body=outgoing.text,
                            from_email=self.from_email, to=[outgoing.address],
                            headers={"Message-ID": ref})
        with self._lock:
            try:
                self._open().send_messages([mail])
            except smtplib.SMTPRecipientsRefused as error:
                self._drop_if_closed()
                code, answer = next(iter(error.recipients.values()))
                raise SendFailure(str(code), _said(answer), temporary=code < 500) from error
            except smtplib.SMTPResponseException as error:  # sender, data, login refused
                self._drop_if_closed()
                raise SendFailure(str(error.smtp_code), _said(error.smtp_error),
                                  temporary=error.smtp_code < 500) from error
            except (smtplib.SMTPException, OSError) as error:  # dropped, refused, timed out
                self.close()
                raise SendFailure("unreachable", str(error), temporary=True) from error
        return Handed(provider_ref=ref)

    def _open(self):
        """The connection, opened on first use and kept for the next message."""
        if self._connection is None:
            self._connection = get_connection(SMTP_BACKEND, fail_silently=False, **self._settings)
            self._connection.open()
        return self._connection

    def _drop_if_closed(self):
        """smtplib closes the connection after some refusals (421): open anew next time."""
        smtp = self._connection and self._connection.connection
        if not smtp or getattr(smtp, "sock", None) is None:
            self.close()

    def close(self):
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # gone already
                connection.close()


def _said(answer):
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
