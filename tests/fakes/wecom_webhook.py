"""A WeCom server on loopback: the group robot webhook (`/cgi-bin/webhook/send?key=`) and the
application message API (`/cgi-bin/gettoken`, `/cgi-bin/message/send`), answering as WeCom
documents (errcode 0 ok, 93000 an unknown robot key, 45009 more than `per_minute` messages a
minute, 40014/42001 a bad or expired access token, 81013 an unknown user, 44004 empty text).

`mode` makes it fail as a real one does: "down" answers 502, "slow" answers after `delay`
seconds, "busy" answers errcode -1. Every accepted message is kept in `messages`.

    with WeComServer(key="k") as wecom:
        WeComBackend(webhook_key="k", base_url=wecom.url).send(...)
"""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class WeComServer:
    def __init__(self, *, key="robot-key", per_minute=20, corp_id="ww-corp", secret="s3cret",
                 users=("zhangsan",)):
        self.key, self.per_minute = key, per_minute
        self.corp_id, self.secret, self.users = corp_id, secret, set(users)
        self.mode, self.delay = "ok", 0.0
        self.messages, self.requests, self.tokens = [], [], set()
        self._sent_at = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def expire_tokens(self):
        self.tokens.clear()

    # --- the API -------------------------------------------------------------------------

    def answer(self, path, query, body):
        """(HTTP status, JSON answer) for one request."""
        self.requests.append((path, query, body))
        if self.mode == "down":
            return 502, None
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "busy":
            return 200, {"errcode": -1, "errmsg": "system busy"}
        if path == "/cgi-bin/webhook/send":
            if query.get("key") != self.key:
                return 200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [x]"}
            return self._message(body, to="")
        if path == "/cgi-bin/gettoken":
            if (query.get("corpid"), query.get("corpsecret")) != (self.corp_id, self.secret):
                return 200, {"errcode": 40001, "errmsg": "invalid credential"}
            token = uuid.uuid4().hex
            self.tokens.add(token)
            return 200, {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if path == "/cgi-bin/message/send":
            if query.get("access_token") not in self.tokens:
                return 200, {"errcode": 42001, "errmsg": "access_token expired"}
            if body.get("touser") not in self.users:
                return 200, {"errcode": 81013, "errmsg": "user & party & tag all invalid"}
            return self._message(body, to=body["touser"])
        return 404, None

    def _message(self, body, to):
        kind = body.get("msgtype")
        if kind not in ("text", "markdown"):
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        content = (body.get(kind) or {}).get("content", "")
        if not content:
            return 200, {"errcode": 44004, "errmsg": "empty content"}
        with self._lock:
            now = time.monotonic()
            self._sent_at = [t for t in self._sent_at if now - t < 60]
            if len(self._sent_at) >= self.per_minute:
                return 200, {"errcode": 45009, "errmsg": "api freq out of limit"}
            self._sent_at.append(now)
            self.messages.append({"to": to, "msgtype": kind, "content": content})
            msgid = uuid.uuid4().hex
        return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid} if to else {
            "errcode": 0, "errmsg": "ok"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._reply(None)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                self._reply(body)

            def _reply(self, body):
                parsed = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
                status, answer = fake.answer(parsed.path, query, body)
                payload = json.dumps(answer).encode() if answer is not None else b"Bad Gateway"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (timeout tests)
                    pass

            def log_message(self, *args):
                pass

        return Handler
