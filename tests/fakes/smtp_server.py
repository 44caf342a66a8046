"""An SMTP server on loopback (aiosmtpd) that records what it is given.

`refuse` maps a recipient to the reply it gets at RCPT TO ("550 5.1.1 …" for a mailbox that
does not exist); `mode = "busy"` answers 421 to every message (a server that sheds load and
closes the connection); `login` = (user, password) makes it require AUTH. Every accepted
message is kept in `messages` as an email.message.EmailMessage.

    with SmtpServer() as smtp:
        EmailBackend(host="127.0.0.1", port=smtp.port, from_email=...).send(...)

`SilentServer` accepts connections and never answers: a server that hangs.
"""

import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if self.server.mode == "busy":
            return "421 4.3.2 Service not available, try again later"
        if address in self.server.refuse:
            return self.server.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.server.messages.append(message)
        self.server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, *, login=None):
        self.refuse, self.mode, self.login = {}, "ok", login
        self.messages, self.envelopes = [], []
        self.port = free_port()
        options = {}
        if login:
            options = {"auth_required": True, "auth_require_tls": False,
                       "authenticator": self._authenticate}
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                      **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(), auth_data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


class SilentServer:
    """Takes connections, says nothing: the client's timeout is what ends the wait."""

    def __init__(self):
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self.port = self._socket.getsockname()[1]
        self._held = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _address = self._socket.accept()
            except OSError:
                return
            self._held.append(connection)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._socket.close()
        for connection in self._held:
            connection.close()
