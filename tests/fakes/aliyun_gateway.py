"""A local Aliyun SMS gateway (dysmsapi 2017-05-25) for tests: a real HTTP server on
127.0.0.1, in a thread, answering SendSms and QuerySendDetails as Aliyun documents.

It checks each request's signature (HMAC-SHA1, signature version 1.0) independently of the
backend's code, refuses a wrong one (SignatureDoesNotMatch) or an unknown key
(InvalidAccessKeyId.NotFound), rate-limits per number as Aliyun does (isv.BUSINESS_LIMIT_CONTROL;
the windows are configurable so tests need not wait a minute) and, if given, the account's
SendSms calls per second (Throttling.User), fails on demand (down, slow,
throttled, bad number, no balance), records what it took, and pushes SmsReport / SmsUp
batches to a URL (as often as asked, or never)."""

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def _encode(value):
    return quote(value, safe="-_.~")


def expected_signature(secret, method, params):
    """Aliyun's documented algorithm, written out again here so the test does not trust the
    backend's own code for it."""
    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    canonical = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    to_sign = "&".join([method, _encode("/"), _encode(canonical)])
    mac = hmac.new((secret + "&").encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def beijing_now():
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


class AliyunGateway:
    """Start with `with AliyunGateway(...) as gateway:`; `gateway.endpoint` is its URL."""

    def __init__(self, *, keys=None, sign_names=("泽州县应急",),
                 templates=None, per_minute=1, per_hour=5, minute_seconds=60.0,
                 hour_seconds=3600.0, qps=None):
        self.keys = keys or {"test-key-id": "test-key-secret"}
        self.sign_names = set(sign_names)
        self.templates = templates or {"SMS_900001": "${content}"}
        self.per_minute, self.per_hour = per_minute, per_hour
        self.minute_seconds, self.hour_seconds = minute_seconds, hour_seconds
        self.qps = qps  # the account's SendSms calls per second; None: no limit
        self._calls = deque()  # monotonic times of the SendSms calls let through this second
        self.mode = None  # None, "down", "throttled", "bad_number", "no_balance", "proxy_busy"
        self.delay = 0.0  # seconds before each answer ("slow")
        self.sent = []  # one dict per message taken
        self.throttled = 0  # SendSms calls answered Throttling.User
        self.requests = []  # (action, params) of every request that reached an action
        self.statuses = {}  # biz_id -> (SendStatus, ErrCode, ReceiveDate)
        self._history = defaultdict(deque)  # number -> monotonic times of messages taken
        self._nonces = set()
        self._ids = itertools.count(700000000001)
        self._lock = threading.Lock()
        self._server = None

    # lifecycle

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, port=0):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body are two writes: with Nagle's algorithm the body waits
            # for the client's delayed ACK (40 ms on Linux), which no real gateway adds.
            disable_nagle_algorithm = True

            def do_GET(self):
                gateway._handle(self, "GET", urlsplit(self.path).query)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                gateway._handle(self, "POST", self.rfile.read(length).decode("utf-8"))

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        """Stops listening: connections are refused until start() again."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self):
        return self._server.server_address[1]

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}/"

    # what a test does to it

    def report(self, biz_id, *, delivered=True, code=None):
        """The carrier's report for a message arrives (QuerySendDetails shows it from now)."""
        code = code or ("DELIVERED" if delivered else "MK:0001")
        with self._lock:
            self.statuses[biz_id] = (3 if delivered else 2, code, beijing_now())

    def push_report(self, url, biz_ids, *, delivered=True, code=None, times=1):
        """POSTs an SmsReport batch for `biz_ids` to `url` `times` times; the answers."""
        items = []
        for biz_id in biz_ids:
            self.report(biz_id, delivered=delivered, code=code)
            record = next(r for r in self.sent if r["biz_id"] == biz_id)
            status, err_code, at = self.statuses[biz_id]
            items.append({"phone_number": record["number"], "send_time": record["send_time"],
                          "report_time": at, "success": delivered, "err_code": err_code,
                          "err_msg": "用户接收成功" if delivered else "失败", "sms_size": "1",
                          "biz_id": biz_id, "out_id": record["out_id"]})
        return [self._push(url, items) for _ in range(times)]

    def push_reply(self, url, number, content, *, sign_name="泽州县应急"):
        item = {"phone_number": number, "send_time": beijing_now(), "content": content,
                "sign_name": sign_name, "dest_code": "1234", "sequence_id": next(self._ids)}
        return self._push(url, [item])

    @staticmethod
    def _push(url, items):
        request = urllib.request.Request(url, data=json.dumps(items, ensure_ascii=False).encode(),
                                         headers={"Content-Type": "application/json"},
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, None

    # the server side

    def _handle(self, handler, method, query):
        if self.delay:
            time.sleep(self.delay)
        if self.mode == "proxy_busy":  # a proxy in front of the gateway, not Aliyun itself
            handler.send_response(429)
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", "13")
            handler.end_headers()
            handler.wfile.write(b"<h1>busy</h1>")
            return
        params = dict(parse_qsl(query, keep_blank_values=True))
        status, body = self._answer(method, params)
        body.setdefault("RequestId", str(uuid.uuid4()).upper())
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json;charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _answer(self, method, params):
        if self.mode == "down":
            return 503, {"Code": "ServiceUnavailable",
                         "Message": "The request has failed due to a temporary failure of the server."}
        refused = self._check_signature(method, params)
        if refused:
            return refused
        if self.mode == "throttled":
            self.throttled += 1
            return 400, {"Code": "Throttling.User", "Message": "Request was denied due to user flow control."}
        action = params.get("Action")
        with self._lock:
            self.requests.append((action, params))
        if action == "SendSms":
            if self._over_qps():
                return 400, {"Code": "Throttling.User",
                             "Message": "Request was denied due to user flow control."}
            return self._send_sms(params)
        if action == "QuerySendDetails":
            return self._query(params)
        return 404, {"Code": "InvalidAction.NotFound", "Message": "Specified api is not found."}

    def _check_signature(self, method, params):
        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Version"):
            if not params.get(name):
                return 400, {"Code": "MissingParameter", "Message": f"{name} is mandatory."}
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return 404, {"Code": "InvalidAccessKeyId.NotFound",
                         "Message": "Specified access key is not found."}
        if not hmac.compare_digest(params["Signature"], expected_signature(secret, method, params)):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature is not matched with our calculation."}
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - stamp) > timedelta(minutes=15):
            return 400, {"Code": "InvalidTimeStamp.Expired",
                         "Message": "Specified time stamp or date value is expired."}
        with self._lock:
            if params["SignatureNonce"] in self._nonces:
                return 400, {"Code": "SignatureNonceUsed",
                             "Message": "Specified signature nonce was used already."}
            self._nonces.add(params["SignatureNonce"])
        return None

    def _send_sms(self, params):
        number = params.get("PhoneNumbers", "")
        if self.mode == "bad_number" or not re.fullmatch(r"1[3-9]\d{9}", number):
            return 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
        if params.get("SignName") not in self.sign_names:
            return 200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL", "Message": "该账号下找不到对应签名"}
        template = self.templates.get(params.get("TemplateCode"))
        if template is None:
            return 200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL", "Message": "该账号下找不到对应模板"}
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return 200, {"Code": "isv.INVALID_JSON_PARAM", "Message": "JSON参数不合法"}
        names = re.findall(r"\$\{(\w+)\}", template)
        if any(name not in values for name in names):
            return 200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS", "Message": "模板变量缺少对应参数值"}
        if self.mode == "no_balance":
            return 200, {"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足"}
        with self._lock:
            limited = self._rate_limited(number)
            if limited:
                return 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": limited}
            biz_id = f"{next(self._ids)}^0"
            text = "【{}】{}".format(params["SignName"],
                                   re.sub(r"\$\{(\w+)\}", lambda m: str(values[m.group(1)]), template))
            self.sent.append({"biz_id": biz_id, "number": number, "text": text,
                              "out_id": params.get("OutId", ""), "values": values,
                              "send_time": beijing_now(), "received_at": time.time(),
                              "sign_name": params["SignName"], "template_code": params["TemplateCode"]})
            self.statuses[biz_id] = (1, "", "")
        return 200, {"Code": "OK", "Message": "OK", "BizId": biz_id}

    def _over_qps(self):
        if self.qps is None:
            return False
        with self._lock:
            now = time.monotonic()
            while self._calls and now - self._calls[0] >= 1.0:
                self._calls.popleft()
            if len(self._calls) >= self.qps:
                self.throttled += 1
                return True
            self._calls.append(now)
            return False

    def _rate_limited(self, number):
        now = time.monotonic()
        history = self._history[number]
        while history and now - history[0] > self.hour_seconds:
            history.popleft()
        if sum(1 for t in history if now - t <= self.minute_seconds) >= self.per_minute:
            return f"触发分钟级流控Permits:{self.per_minute}"
        if len(history) >= self.per_hour:
            return f"触发小时级流控Permits:{self.per_hour}"
        history.append(now)
        return ""

    def _query(self, params):
        number, biz_id = params.get("PhoneNumber", ""), params.get("BizId", "")
        if not params.get("SendDate") or not number:
            return 400, {"Code": "isv.INVALID_PARAMETERS", "Message": "参数异常"}
        details = []
        with self._lock:
            for record in self.sent:
                if record["number"] != number or (biz_id and record["biz_id"] != biz_id):
                    continue
                status, code, received = self.statuses[record["biz_id"]]
                details.append({"PhoneNum": number, "SendStatus": status, "ErrCode": code,
                                "TemplateCode": record["template_code"], "Content": record["text"],
                                "SendDate": record["send_time"], "ReceiveDate": received,
                                "OutId": record["out_id"]})
        return 200, {"Code": "OK", "Message": "OK", "TotalCount": len(details),
                     "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}}
