"""WeCom (企业微信): the group robot webhook, and the application message to one person.

Group robot (群机器人, developer.work.weixin.qq.com/document/path/91770): POST JSON to
`{base_url}/cgi-bin/webhook/send?key=KEY`; the answer is `{"errcode": 0, "errmsg": "ok"}`.
A robot takes 20 messages a minute (errcode 45009 beyond that); an unknown or deleted key
answers 93000. The robot posts into one group chat: Outgoing.address is "".

Application message (应用消息, document/path/90236): `gettoken?corpid&corpsecret` gives an
access token for 7,200 s, then `message/send?access_token=…` with `touser` = the person's
WeCom userid; the answer carries a `msgid`. Chosen when Outgoing.address is a userid and the
backend has `corp_id`, `secret` and `agent_id`; any address other than "" is a userid.

Errors: HTTP 5xx, a timeout, a refused connection, WeCom's "system busy" (-1) and its rate
limits are temporary; an invalid key, user or message is permanent (the next channel is tried).
Neither API takes an idempotency key: the webhook's provider_ref is the Outgoing key itself;
the application message asks WeCom to drop a duplicate text sent within 30 minutes.
"""

import json
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

from notify.backends.base import Backend, Handed, SendFailure
from notify.choices import Channel

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
TEXT_LIMIT = 2048  # bytes of UTF-8 in a text message
MARKDOWN_LIMIT = 4096  # bytes of UTF-8 in a markdown message

# WeCom's documented errcodes that a retry may cure: system busy, the rate limits (per robot
# per minute, per app per minute/hour, per user per day), and an access token that expired.
TEMPORARY_CODES = {-1, 45009, 45033, 45047, 42001, 40014, 40001}
THROTTLED_CODES = {45009}  # the robot's or the application's calls a minute exceeded
TOKEN_CODES = {42001, 40014, 40001}  # the token is stale: fetch a new one and try once more
CREDENTIAL_CODES = {"40001", "40013", "40091"}  # gettoken: a wrong secret or corp id


class WeComBackend(Backend):
    """Options: `webhook_key` (the robot's key), `msgtype` ("text" or "markdown"),
    `base_url` (tests point it at a fake), `timeout` (seconds); for the application message
    also `corp_id`, `secret`, `agent_id`."""

    channel = Channel.WECOM

    def __init__(self, *, webhook_key="", msgtype="text", base_url=DEFAULT_BASE_URL, timeout=10,
                 corp_id="", secret="", agent_id=None, **options):
        super().__init__(**options)
        if msgtype not in ("text", "markdown"):
            raise ValueError(f"WeCom msgtype must be text or markdown, not {msgtype!r}")
        self.webhook_key = webhook_key
        self.msgtype = msgtype
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self._token, self._token_until = "", 0.0
        self._lock = threading.Lock()

    # --- sending -----------------------------------------------------------------------------

    def send(self, outgoing):
        if outgoing.address:
            return self._send_to_user(outgoing)
        return self._send_to_group(outgoing)

    def _send_to_group(self, outgoing):
        if not self.webhook_key:
            raise SendFailure("no_webhook_key", "no group robot is configured", temporary=False)
        body = {"msgtype": self.msgtype, self.msgtype: self._content(outgoing.text)}
        self._call("/cgi-bin/webhook/send", {"key": self.webhook_key}, body)
        return Handed(provider_ref=f"wecom-robot:{outgoing.key}")

    def _send_to_user(self, outgoing):
        if not (self.corp_id and self.secret and self.agent_id):
            raise SendFailure("no_application", "no WeCom application is configured",
                              temporary=False)
        body = {"touser": outgoing.address, "msgtype": self.msgtype, "agentid": int(self.agent_id),
                self.msgtype: self._content(outgoing.text),
                "enable_duplicate_check": 1, "duplicate_check_interval": 1800}
        try:
            answer = self._call("/cgi-bin/message/send", {"access_token": self._access_token()},
                                body)
        except SendFailure as failure:
            if failure.code not in {str(code) for code in TOKEN_CODES}:
                raise
            self._token_until = 0.0
            answer = self._call("/cgi-bin/message/send",
                                {"access_token": self._access_token()}, body)
        if answer.get("invaliduser"):  # WeCom answers 0 and names the users it did not know
            raise SendFailure("invaliduser", f"unknown WeCom user {outgoing.address}",
                              temporary=False)
        return Handed(provider_ref=str(answer.get("msgid") or f"wecom-app:{outgoing.key}"))

    def _content(self, text):
        limit = TEXT_LIMIT if self.msgtype == "text" else MARKDOWN_LIMIT
        if len(text.encode()) > limit:
            raise SendFailure("too_long", f"more than {limit} bytes", temporary=False)
        return {"content": text}

    def _access_token(self):
        with self._lock:
            if time.monotonic() >= self._token_until:
                try:
                    answer = self._call("/cgi-bin/gettoken",
                                        {"corpid": self.corp_id, "corpsecret": self.secret})
                except SendFailure as failure:
                    if failure.code in CREDENTIAL_CODES:  # a wrong corp id or secret
                        raise SendFailure(failure.code, str(failure), temporary=False) from failure
                    raise
                self._token = answer["access_token"]
                # Renewed five minutes early, so a token never expires in flight.
                self._token_until = time.monotonic() + int(answer.get("expires_in", 7200)) - 300
            return self._token

    # --- HTTP --------------------------------------------------------------------------------

    def _call(self, path, query, body=None):
        """One request to WeCom; its JSON answer when errcode is 0, else SendFailure."""
        url = f"{self.base_url}{path}?{urlencode(query)}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as error:
            raise SendFailure(f"http_{error.code}", error.reason or "",
                              temporary=error.code >= 500, throttled=error.code == 429) from error
        except (urllib.error.URLError, OSError) as error:  # refused, unreachable, timed out
            raise SendFailure("unreachable", str(getattr(error, "reason", error)),
                              temporary=True) from error
        try:
            answer = json.loads(raw)
            code = int(answer.get("errcode", 0))
        except (ValueError, TypeError, AttributeError) as error:
            raise SendFailure("bad_answer", "WeCom did not answer JSON", temporary=True) from error
        if code != 0:
            raise SendFailure(str(code), str(answer.get("errmsg", ""))[:200],
                              temporary=code in TEMPORARY_CODES, throttled=code in THROTTLED_CODES)
        return answer
